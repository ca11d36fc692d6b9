// The demo's HTTP server: the example auth API, the built authlane package under /authlane/,
// and the demo page. Everything on 127.0.0.1.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuthApi } from './auth-api.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };
const statics = [
  ['/authlane/', join(root, 'pkg')],
  // Redux Toolkit and its dependencies as browser ES modules: the page needs no bundler.
  ['/vendor/', join(root, 'node_modules')],
  ['/', join(root, 'examples/web')],
];

async function serveFile(path, res) {
  for (const [prefix, dir] of statics) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length) || 'index.html'));
    if (!file.startsWith(dir)) break;
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      return res.end(body);
    } catch {}
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

/** Starts the demo; resolves with { url, api, close }. */
export async function startDemo({ port = 0, host = '127.0.0.1', accessTtl } = {}) {
  const api = createAuthApi({ accessTtl });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://demo');
      res.setHeader('access-control-allow-origin', req.headers.origin || '*');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-demo-id');
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      if (req.method === 'OPTIONS') return res.writeHead(204).end();
      const route = api.routes[`${req.method} ${url.pathname}`];
      if (!route) return serveFile(url.pathname, res);
      let body = {};
      try { body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}; } catch {}
      const [status, out] = await route({ body, headers: req.headers, query: url.searchParams });
      res.writeHead(status, out === null ? {} : { 'content-type': 'application/json' });
      res.end(out === null ? undefined : JSON.stringify(out));
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const url = `http://${host}:${server.address().port}`;
  const close = () => new Promise((resolve) => { sockets.forEach((s) => s.destroy()); server.close(() => resolve()); });
  return { url, api, close };
}
