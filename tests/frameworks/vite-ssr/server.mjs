// The server of Vite's server-rendering guide (https://vite.dev/guide/ssr), trimmed: in
// development Vite's dev server runs as middleware and loads the server entry with
// ssrLoadModule; in production (NODE_ENV=production) it serves dist/client and imports the
// server entry that `vite build --ssr` wrote. PORT: where to listen (prints "listening on").
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';

const production = process.env.NODE_ENV === 'production';
const root = import.meta.dirname;
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

let vite;
if (!production) {
  const { createServer: createViteServer } = await import('vite');
  vite = await createViteServer({ root, server: { middlewareMode: true }, appType: 'custom' });
}

const server = createServer((req, res) => {
  const page = async () => {
    const url = req.url;
    let template, render;
    if (production) {
      const file = join(root, 'dist/client', new URL(url, 'http://x').pathname);
      if (url !== '/' && existsSync(file)) {
        res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
        return res.end(readFileSync(file));
      }
      template = readFileSync(join(root, 'dist/client/index.html'), 'utf8');
      ({ render } = await import(join(root, 'dist/server/entry-server.js')));
    } else {
      template = await vite.transformIndexHtml(url, readFileSync(join(root, 'index.html'), 'utf8'));
      ({ render } = await vite.ssrLoadModule('/src/entry-server.js'));
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(template.replace('<!--app-html-->', render()));
  };
  const fail = (e) => {
    vite?.ssrFixStacktrace(e);
    console.error(e);
    res.writeHead(500).end(String(e));
  };
  if (vite) vite.middlewares(req, res, () => page().catch(fail));
  else page().catch(fail);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
