// A static file server on 127.0.0.1 (random port) for browser tests: serves the installed
// package under /authlane/ (its client instrumented for the token scan) and the given pages.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { instrument } from './token-scan-hooks.mjs';

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };
const pkgDir = new URL('../node_modules/authlane/', import.meta.url).pathname;

/** @param {Record<string, string>} pages path -> content (HTML, or JS for a .js path) */
export async function serveStatic(pages = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (pages[path] !== undefined) {
      res.writeHead(200, { 'content-type': types[extname(path)] || 'text/html' });
      return res.end(pages[path]);
    }
    if (path.startsWith('/authlane/')) {
      const file = normalize(join(pkgDir, path.slice('/authlane/'.length)));
      if (file.startsWith(pkgDir)) {
        try {
          let body = await readFile(file);
          // The client module reports its actions and rejections to the token scan.
          if (path === '/authlane/esm/client.js') body = instrument(body.toString('utf8'), 'page');
          res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
          return res.end(body);
        } catch {}
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** An HTML page that maps bare `authlane` imports to the served package, without a bundler. */
export function modulePage(script) {
  const imports = { authlane: '/authlane/esm/index.js', 'authlane/redux': '/authlane/esm/redux.js' };
  return `<!doctype html><meta charset="utf-8"><script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">${script}</script>`;
}
