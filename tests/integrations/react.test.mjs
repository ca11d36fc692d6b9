// authlane/react with the real React 18 and 19, against the real auth server: server rendering,
// a component in a jsdom page that follows a refresh, a logout and an ended session, the same
// snapshot object while nothing changed, and the CommonJS build. Each React version has its own
// app folder (react18/, react19/) with the packed tarball unpacked into it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthServer } from '../support/server.mjs';
import { installPage, unpackInto, waitFor } from './support.mjs';

const VERSIONS = ['18', '19'];
const apps = {};
let server;
let dom;
const clients = [];

before(async () => {
  dom = installPage(); // first, as a test setup file does
  server = await startAuthServer();
  for (const v of VERSIONS) {
    unpackInto(fileURLToPath(new URL(`./react${v}/`, import.meta.url)));
    apps[v] = await import(`./react${v}/index.mjs`);
  }
});
after(async () => {
  for (const client of clients) client.dispose();
  dom.window.close();
  await server.close();
});

/** A fresh container on the jsdom page. */
function page() {
  const container = document.createElement('div');
  document.body.append(container);
  return container;
}

/** A client of the app folder's authlane; logged in with a token living `ttl` s unless ttl is null. */
async function clientOf(app, { ttl = 300 } = {}) {
  const client = await app.createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, refreshRetry: { attempts: 1 } });
  clients.push(client);
  if (ttl !== null) await client.login(await server.issueTokens({ ttl }));
  return client;
}

/** What a component shows of useSession; every snapshot it rendered goes to `seen`. */
function statusOf(app, useSession = app.useSession) {
  return function Status({ client, seen = [] }) {
    const s = useSession(client);
    seen.push(s);
    const state = s.refreshing ? 'refreshing' : 'idle';
    return app.createElement('p', null, s.authenticated ? `in:${s.claims.sub}:${state}` : `out:${state}`);
  };
}

for (const v of VERSIONS) {
  test(`React ${v}: the app folder resolves React ${v} for authlane/react`, () => {
    assert.equal(apps[v].version.split('.')[0], v);
  });

  test(`React ${v}: renderToString shows the session (ESM and CommonJS builds), logged out for none`, async () => {
    const app = apps[v];
    const Status = statusOf(app);
    const client = await clientOf(app);
    assert.equal(app.renderToString(app.createElement(Status, { client })), '<p>in:user-1:idle</p>');
    const RequiredStatus = statusOf(app, app.required.useSession);
    assert.equal(app.renderToString(app.createElement(RequiredStatus, { client })), '<p>in:user-1:idle</p>');
    const anonymous = await clientOf(app, { ttl: null });
    assert.equal(app.renderToString(app.createElement(Status, { client: anonymous })), '<p>out:idle</p>');
    assert.equal(app.renderToString(app.createElement(Status, { client: null })), '<p>out:idle</p>');
  });

  test(`React ${v}: a component shows a refresh in flight, then the new expiry; one refresh call`, async (t) => {
    const app = apps[v];
    server.reset();
    server.setRefreshDelay(150);
    t.after(() => server.setRefreshDelay(0));
    const client = await clientOf(app, { ttl: -30 });
    const container = page();
    const root = app.createRoot(container);
    t.after(() => root.unmount());
    const seen = [];
    root.render(app.createElement(statusOf(app), { client, seen }));
    await waitFor('the first render', () => container.textContent === 'in:user-1:idle');
    const expiredAt = seen.at(-1).expiresAt;
    assert.ok(expiredAt < Date.now());

    const request = client.fetch('/api/todos');
    await waitFor('refreshing on the page', () => container.textContent === 'in:user-1:refreshing');
    assert.equal(server.apiCalls, 0, 'the page showed refreshing while the request was held');
    assert.equal((await request).status, 200);
    await waitFor('idle again', () => container.textContent === 'in:user-1:idle');
    const last = seen.at(-1);
    assert.ok(last.expiresAt > Date.now(), 'the new expiry is shown');
    assert.equal(last.refreshing, false);
    assert.equal(server.refreshCalls, 1);
  });

  test(`React ${v}: the same snapshot object while nothing changed (re-renders, requests without actions)`, async (t) => {
    const app = apps[v];
    const errors = [];
    const error = console.error;
    console.error = (...args) => errors.push(args.map(String).join(' '));
    t.after(() => { console.error = error; });
    const client = await clientOf(app);
    const container = page();
    const root = app.createRoot(container);
    t.after(() => root.unmount());
    const seen = [];
    const Status = statusOf(app);
    let bump;
    function Parent() {
      const [n, setN] = app.useState(0);
      bump = () => setN(n + 1);
      return app.createElement('div', null, app.createElement('span', null, String(n)), app.createElement(Status, { client, seen }));
    }
    root.render(app.createElement(Parent));
    await waitFor('the first render', () => container.textContent === '0in:user-1:idle');
    for (let n = 1; n <= 3; n++) {
      bump();
      await waitFor(`re-render ${n}`, () => container.textContent === `${n}in:user-1:idle`);
    }
    const before = seen.length;
    assert.equal((await client.fetch('/api/todos')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(seen.length, before, 'a request that changed nothing rendered nothing');
    assert.ok(seen.length >= 4);
    for (const s of seen) assert.equal(s, seen[0], 'each render got the same object');
    assert.deepEqual(errors, [], 'React reported nothing (an uncached getSnapshot is reported)');
  });

  test(`React ${v}: logout and an ended session re-render as logged out; unmounted, nothing renders`, async (t) => {
    const app = apps[v];
    server.reset();
    const Status = statusOf(app);
    const first = await clientOf(app);
    const second = await clientOf(app, { ttl: -30 });
    const container = page();
    const root = app.createRoot(container);
    const seen = [];
    root.render(app.createElement('div', null,
      app.createElement(Status, { client: first }),
      app.createElement(Status, { client: second, seen })));
    await waitFor('the first render', () => container.textContent === 'in:user-1:idlein:user-1:idle');

    await first.logout();
    await waitFor('logged out', () => container.textContent === 'out:idlein:user-1:idle');

    server.failRefresh(401);
    t.after(() => server.failRefresh(null));
    await assert.rejects(second.fetch('/api/todos'), { code: 'SESSION_EXPIRED' });
    await waitFor('the session ended', () => container.textContent === 'out:idleout:idle');
    assert.ok(seen.some((s) => s.refreshing && s.authenticated), 'the refresh was shown');
    assert.deepEqual(seen.at(-1), { authenticated: false, claims: null, expiresAt: null, refreshing: false });

    root.unmount();
    const rendered = seen.length;
    await first.login(await server.issueTokens());
    await second.login(await server.issueTokens());
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(seen.length, rendered);
  });
}

test('only authlane/react imports react: no other file of the package does', () => {
  const pkg = fileURLToPath(new URL('../node_modules/authlane/', import.meta.url));
  const importsReact = /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"]react['"]/;
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(c|m)?js$/.test(name) && importsReact.test(readFileSync(file, 'utf8'))) found.push(file.slice(pkg.length));
    }
  };
  walk(pkg);
  // react.js in each build of the package (esm, cjs, node, inline), and nothing else.
  assert.ok(found.length >= 2 && found.every((f) => /^[a-z]+\/react\.js$/.test(f)), found.join());
});
