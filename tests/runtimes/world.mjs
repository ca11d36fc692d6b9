// The servers one runtime's scenario run talks to: the real auth server of tests/support/server.mjs
// and a control server beside it (both 127.0.0.1, CORS on) through which the scenario
// (scenario.js) mints tokens, revokes them, makes the refresh endpoint fail or hang, and marks
// where each of its steps starts. `step(name)` is then what the auth server saw during that step.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { startAuthServer } from '../support/server.mjs';

export async function startWorld() {
  const secret = 'runtimes-secret-' + randomBytes(12).toString('hex');
  const auth = await startAuthServer({ secret });
  const marks = []; // [step, index into auth.log, refresh tokens minted by /issue during the step]
  const sockets = new Set();

  const routes = {
    '/config': () => ({ api: auth.url, secret }),
    '/mark': ({ step }) => { marks.push([String(step), auth.log.length, []]); return {}; },
    '/issue': async ({ ttl }) => {
      const pair = await auth.issueTokens({ ttl });
      if (marks.length) marks[marks.length - 1][2].push(pair.refreshToken);
      return pair;
    },
    '/revoke': () => { auth.expireAllAccessTokens(); return {}; },
    '/fail-refresh': ({ mode }) => { auth.failRefresh(mode); return {}; },
    '/refresh-delay': ({ ms }) => { auth.setRefreshDelay(ms); return {}; },
    '/await-refresh': async () => {
      const since = marks.length ? marks[marks.length - 1][1] : 0;
      for (let waited = 0; waited < 5000; waited += 10) {
        if (auth.log.slice(since).some((r) => r.path === '/refresh')) return {};
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('no refresh call reached the server within 5 s');
    },
  };

  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    if (req.method === 'OPTIONS') return res.writeHead(204).end();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url, 'http://x').pathname;
      try {
        if (!routes[path]) throw new Error('no control route ' + path);
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        const value = await routes[path](body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e && e.message));
      }
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    control: `http://127.0.0.1:${server.address().port}`,
    auth,
    /** The steps marked so far, in order. */
    marked: () => marks.map(([step]) => step),
    /** What the auth server saw during step `name`: its refresh calls (and the refresh token each
     *  carried), its API calls' token states, and the refresh tokens /issue minted then. */
    step(name) {
      const at = marks.findIndex(([step]) => step === name);
      if (at < 0) return null;
      const log = auth.log.slice(marks[at][1], at + 1 < marks.length ? marks[at + 1][1] : auth.log.length);
      const refreshes = log.filter((r) => r.path === '/refresh');
      return {
        refreshCalls: refreshes.length,
        refreshBodies: refreshes.map((r) => { try { return JSON.parse(r.body).refreshToken; } catch { return null; } }),
        api: log.filter((r) => r.path.startsWith('/api/')).map((r) => r.tokenState),
        issued: marks[at][2],
      };
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return Promise.all([new Promise((resolve) => server.close(resolve)), auth.close()]);
    },
  };
}
