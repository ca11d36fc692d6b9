// authlane/redux with the real redux, redux-thunk and @reduxjs/toolkit, against the real test
// server: reducer state, action order, 20 concurrent apiCalls with one refresh, thunks, RTK Query.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, applyMiddleware, combineReducers } from 'redux';
import { thunk } from 'redux-thunk';
import { configureStore } from '@reduxjs/toolkit';
import { createApi, fetchBaseQuery } from '@reduxjs/toolkit/query';
import { createAuthClient, memoryStorage, ACTION } from 'authlane';
import { apiCall, authMiddleware, authReducer, selectAuth, selectClaims, selectIsAuthenticated } from 'authlane/redux';
import { startAuthServer } from '../support/server.mjs';
import { tokenScan } from '../support/token-scan.mjs';

/** Hands the token scan every failure action (the scan's module hook already sees authlane's own
 *  actions): none may carry a token. Success payloads are the test API's bodies, which echo the
 *  header on purpose. */
const scanned = () => (next) => (action) => {
  if (action && typeof action === 'object' && action.error === true) tokenScan.saw('redux action', action);
  return next(action);
};

let server;
before(async () => { server = await startAuthServer(); });
after(() => server.close());

const TYPES = ['todos/request', 'todos/success', 'todos/failure'];

async function classicStore({ expired = true, storage = memoryStorage() } = {}) {
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage, refreshRetry: { attempts: 1 } });
  const { accessToken, refreshToken } = await server.issueTokens({ ttl: expired ? -30 : 300 });
  await client.login({ accessToken, refreshToken });
  const seen = [];
  const recorder = () => (next) => (action) => {
    if (typeof action === 'object') seen.push(action);
    return next(action);
  };
  const todos = (state = [], action) => (action.type === 'todos/add' ? [...state, action.text] : state);
  const store = createStore(combineReducers({ auth: authReducer, todos }), applyMiddleware(thunk, authMiddleware(client), recorder, scanned));
  await Promise.resolve();
  return { client, store, seen, tokens: { accessToken, refreshToken } };
}

const noTokenIn = (value, tokens) => {
  const text = JSON.stringify(value);
  for (const t of Object.values(tokens)) assert.ok(!text.includes(t), 'a token string reached the store');
};

test('apiCall through an expired token: REQUEST, refreshStarted, refreshSucceeded, SUCCESS', async () => {
  server.reset();
  const { store, seen, tokens, client } = await classicStore();
  const result = await store.dispatch(apiCall({ url: '/api/todos', types: TYPES }));
  assert.equal(result.type, 'todos/success');
  assert.equal(result.payload.path, '/api/todos');
  const order = seen.map((a) => a.type).filter((t) => t.startsWith('todos/') || t.includes('refresh'));
  assert.deepEqual(order, ['todos/request', ACTION.refreshStarted, ACTION.refreshSucceeded, 'todos/success']);
  assert.equal(server.refreshCalls, 1);
  assert.equal(selectIsAuthenticated(store.getState()), true);
  assert.equal(selectAuth(store.getState()).refreshing, false);
  assert.equal(typeof selectClaims(store.getState()).sub, 'string');
  noTokenIn(store.getState(), tokens);
  noTokenIn(seen, tokens);
  client.dispose();
});

test('20 concurrent apiCalls with an expired token make exactly one refresh and all succeed', async () => {
  server.reset();
  const { store, client } = await classicStore();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.dispatch(apiCall({ url: `/api/item/${i}`, types: TYPES }))));
  assert.deepEqual([...new Set(results.map((r) => r.type))], ['todos/success']);
  assert.equal(server.refreshCalls, 1);
  client.dispose();
});

test('reducer state through transient failure, session expiry and logout', async () => {
  server.reset();
  const { store, client } = await classicStore();
  server.failRefresh(503);
  const failed = await store.dispatch(apiCall({ url: '/api/x', types: TYPES }));
  assert.equal(failed.type, 'todos/failure');
  assert.equal(failed.error, true);
  assert.equal(failed.payload.code, 'REFRESH_FAILED');
  assert.deepEqual(selectAuth(store.getState()).error, { code: 'REFRESH_FAILED', message: selectAuth(store.getState()).error.message, transient: true });
  assert.equal(selectIsAuthenticated(store.getState()), true, 'a transient failure keeps the session');

  server.failRefresh(401);
  const expired = await store.dispatch(apiCall({ url: '/api/x', types: TYPES }));
  assert.equal(expired.payload.code, 'SESSION_EXPIRED');
  assert.equal(selectIsAuthenticated(store.getState()), false);
  assert.equal(selectAuth(store.getState()).error.code, 'SESSION_EXPIRED');
  server.failRefresh(null);

  const fresh = await server.issueTokens({ ttl: 300 });
  await client.login(fresh);
  assert.equal(selectIsAuthenticated(store.getState()), true);
  assert.equal(selectAuth(store.getState()).error, null);
  await client.logout();
  assert.deepEqual(selectAuth(store.getState()), { authenticated: false, claims: null, expiresAt: null, refreshing: false, error: null });
  client.dispose();
});

test('HTTP errors and JSON bodies: FAILURE carries status, code and message; bodies are serialised', async () => {
  server.reset();
  const { store, client } = await classicStore({ expired: false });
  const posted = await store.dispatch(apiCall({ url: '/api/echo', method: 'POST', body: { a: 1, b: 'é' }, types: TYPES }));
  assert.equal(posted.type, 'todos/success');
  assert.deepEqual(JSON.parse(posted.payload.body), { a: 1, b: 'é' });
  const missing = await store.dispatch(apiCall({ url: '/nope', types: TYPES }));
  assert.equal(missing.type, 'todos/failure');
  assert.equal(missing.payload.status, 404);
  assert.equal(missing.payload.code, 'HTTP_ERROR');
  client.dispose();
});

test('thunks that await client.fetch work, and other actions reach the reducer unchanged', async () => {
  server.reset();
  const { store, seen, client } = await classicStore();
  const status = await store.dispatch(async () => (await client.fetch('/api/thunk')).status);
  assert.equal(status, 200);
  const plain = { type: 'todos/add', text: 'milk', extra: { nested: [1] } };
  store.dispatch(plain);
  assert.deepEqual(store.getState().todos, ['milk']);
  assert.equal(seen.find((a) => a.type === 'todos/add'), plain, 'the same object, unchanged');
  client.dispose();
});

test('Redux Toolkit: configureStore and an RTK Query endpoint through a 401, one refresh and a resend', async () => {
  server.reset();
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
  const tokens = await server.issueTokens({ ttl: 300 });
  await client.login(tokens);
  server.expireAllAccessTokens();
  const api = createApi({
    baseQuery: fetchBaseQuery({ baseUrl: server.url, fetchFn: client.fetch }),
    endpoints: (build) => ({ me: build.query({ query: () => '/api/me' }) }),
  });
  const store = configureStore({
    reducer: { auth: authReducer, [api.reducerPath]: api.reducer },
    middleware: (getDefault) => getDefault().concat(authMiddleware(client), api.middleware, scanned),
  });
  const result = await store.dispatch(api.endpoints.me.initiate());
  assert.equal(result.data?.path, '/api/me', JSON.stringify(result.error));
  assert.equal(server.refreshCalls, 1);
  const sent = server.log.filter((r) => r.path === '/api/me');
  assert.equal(sent.length, 2, 'sent, rejected, resent once');
  assert.notEqual(sent[0].auth, sent[1].auth);
  assert.equal(selectIsAuthenticated(store.getState()), true);
  client.dispose();
});
