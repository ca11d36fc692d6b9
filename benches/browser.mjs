// 2, 4 and 5 in headless Chromium: per-request overhead, decodeJwt speed, cold start. The page is
// served by the bench server itself (same origin: no CORS preflight for anyone).
import { launch } from '../tests/support/browser.mjs';
import { interleave } from './lib.mjs';
import { startBenchServer } from './server.mjs';
import { tokenOfSize } from './node.mjs';

const importMap = JSON.stringify({ imports: {
  authlane: '/authlane/esm/index.js', ky: '/vendor/ky/distribution/index.js',
  axios: '/vendor/axios/dist/esm/axios.min.js', 'jwt-decode': '/vendor/jwt-decode/build/esm/index.js',
} });
const page = (body) => `<!doctype html><meta charset="utf-8"><script type="importmap">${importMap}</script><script type="module">${body}</script>`;

const setup = `
  import { createAuthClient, decodeJwt } from 'authlane';
  import ky from 'ky';
  import axios from 'axios';
  import { jwtDecode } from 'jwt-decode';
  window.setup = async (tokens) => {
    const client = await createAuthClient({ baseUrl: location.origin, refresh: { url: '/refresh' } });
    await client.login(tokens);
    const token = tokens.accessToken;
    const inst = axios.create({ baseURL: location.origin });
    inst.interceptors.request.use((c) => { jwtDecode(token); c.headers.Authorization = 'Bearer ' + token; return c; });
    const api = ky.create({ prefixUrl: location.origin, retry: 0, hooks: { beforeRequest: [(r) => { jwtDecode(token); r.headers.set('authorization', 'Bearer ' + token); }] } });
    window.request = {
      fetch: async (p) => (await fetch(p, { headers: { authorization: 'Bearer ' + token } })).text(),
      authlane: async (p) => (await client.fetch(p)).text(),
      'axios (interceptor + jwt-decode)': async (p) => (await inst.get(p)).data,
      ky: async (p) => api.get(p.slice(1)).text(),
    };
    window.decoders = { authlane: decodeJwt, 'jwt-decode': jwtDecode };
  };
  window.batch = async (name, n, concurrency) => {
    let next = 0; const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => { while (next < n) { next++; await window.request[name]('/api/item'); } }));
    return ((performance.now() - t0) / n) * 1000;
  };
  window.decodeOps = (name, token, ops) => { const f = window.decoders[name]; const t0 = performance.now(); for (let i = 0; i < ops; i++) f(token); return ops / ((performance.now() - t0) / 1000); };
  window.ready = true;`;

const cold = {
  authlane: `const { createAuthClient } = await import('authlane'); const c = await createAuthClient({ baseUrl: location.origin, refresh: { url: '/refresh' } }); c.dispose();`,
  'axios + jwt-decode': `const { default: axios } = await import('axios'); await import('jwt-decode'); axios.create({ baseURL: location.origin }).interceptors.request.use((c) => c);`,
  'ky + jwt-decode': `const { default: ky } = await import('ky'); await import('jwt-decode'); ky.create({ prefixUrl: location.origin });`,
};

export async function browserBenches({ requests, rounds, ops }) {
  const pages = { '/bench.html': page(setup) };
  for (const [i, name] of Object.keys(cold).entries()) pages[`/cold${i}.html`] = page(`const t0 = performance.now(); ${cold[name]} window.coldMs = performance.now() - t0;`);
  const server = await startBenchServer({ pages });
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    await tab.goto(`${server.url}/bench.html`);
    await tab.waitForFunction(() => window.ready);
    await tab.evaluate((t) => window.setup(t), server.state.issue());
    const names = await tab.evaluate(() => Object.keys(window.request));
    const overhead = {};
    for (const concurrency of [1, 50]) {
      for (const n of names) await tab.evaluate(([n]) => window.batch(n, 50, 10), [n]);
      overhead[concurrency] = await interleave(names, rounds, (name) => tab.evaluate(([n, c, k]) => window.batch(n, c, k), [name, Math.round(requests / rounds), concurrency]));
    }
    const decode = {};
    for (const bytes of [200, 4096]) {
      const token = tokenOfSize(bytes);
      decode[bytes] = await interleave(['authlane', 'jwt-decode'], rounds, (name) => tab.evaluate(([n, t, o]) => window.decodeOps(n, t, o), [name, token, ops]));
    }
    const coldNames = Object.keys(cold);
    const coldStart = await interleave(coldNames, rounds, async (name) => {
      const p = await browser.newPage();
      await p.goto(`${server.url}/cold${coldNames.indexOf(name)}.html`);
      const ms = await p.waitForFunction(() => window.coldMs).then((h) => h.jsonValue());
      await p.close();
      return ms;
    });
    return { overhead, decode, coldStart };
  } finally {
    await browser.close();
    await server.close();
  }
}
