// The benchmark server on 127.0.0.1: keep-alive, a fixed cheap check of the bearer token, a
// refresh endpoint, and (for Chromium) the bench page, the package and the alternatives' files.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const jwt = (ttl, extra = {}) => {
  const iat = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'bench', iat, exp: iat + ttl, ...extra })}.c2lnbmF0dXJl`;
};
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

export async function startBenchServer({ pages = {} } = {}) {
  const state = { valid: new Set(), refreshCalls: 0, refreshDelayMs: 0 };
  state.issue = (ttl = 3600) => {
    const accessToken = jwt(ttl, { n: state.valid.size });
    state.valid.add(accessToken);
    return { accessToken, refreshToken: 'rt-' + state.valid.size };
  };
  const server = createServer(async (req, res) => {
    if (req.url === '/refresh') {
      state.refreshCalls++;
      req.resume();
      await new Promise((r) => setTimeout(r, state.refreshDelayMs));
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(state.issue()));
    }
    if (req.url.startsWith('/api/')) {
      const token = (req.headers.authorization || '').slice(7);
      res.writeHead(state.valid.has(token) ? 200 : 401, { 'content-type': 'application/json' });
      return res.end('{"ok":true}');
    }
    if (pages[req.url]) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(pages[req.url]);
    }
    const file = req.url.startsWith('/authlane/') ? join(root, 'pkg', req.url.slice(10)) : req.url.startsWith('/vendor/') ? join(root, 'node_modules', req.url.slice(8)) : null;
    if (file) {
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
        return res.end(body);
      } catch {}
    }
    res.writeHead(404).end();
  });
  // keepAliveTimeout below headersTimeout, or Node may reset reused sockets under load.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 65_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } };
}
