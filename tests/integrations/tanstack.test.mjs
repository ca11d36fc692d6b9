// TanStack Query (@tanstack/query-core 5.108) with README's `retry`: an ended session is not
// retried (no request, no refresh call after the first), a transient failure still is; with
// client.fetch and with axios in the query function. Requests are counted at the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import axios from 'axios';
import { QueryClient } from '@tanstack/query-core';
import { isSessionError } from 'authlane';
import { startAuthServer } from '../support/server.mjs';
import { loggedIn, settle } from '../support/client.mjs';

let server;
const clients = [];
before(async () => { server = await startAuthServer(); });
after(async () => {
  for (const client of clients) client.dispose();
  await server.close();
});

/** README's recipe; retryDelay 1 ms only to keep the test short. */
const retry = (failureCount, error) => !isSessionError(error) && failureCount < 3;
const queryClient = (options = { retry }) => new QueryClient({ defaultOptions: { queries: { retryDelay: 1, ...options } } });

class HttpError extends Error {
  constructor(response) {
    super(`HTTP ${response.status}`);
    this.status = response.status;
  }
}

/** The query functions an app writes: client.fetch, and an axios instance on it. */
const queryFns = {
  'client.fetch': (client) => async () => {
    const response = await client.fetch('/api/todos');
    if (!response.ok) throw new HttpError(response);
    return response.json();
  },
  axios: (client) => {
    const api = axios.create({ baseURL: server.url, adapter: 'fetch', env: { fetch: client.fetch } });
    return async () => (await api.get('/api/todos')).data;
  },
};

async function sessionThatEnds() {
  const { client } = await loggedIn(server, { ttl: -30, refreshRetry: { attempts: 1 } });
  clients.push(client);
  return client;
}

for (const [name, queryFn] of Object.entries(queryFns)) {
  test(`${name}: an ended session fails the query at once: one refresh call, no request, no retry`, async () => {
    server.reset();
    server.failRefresh(401);
    const client = await sessionThatEnds();
    const queries = queryClient();
    let calls = 0;
    const fn = queryFn(client);
    const { error } = await settle(queries.fetchQuery({ queryKey: ['todos', name], queryFn: () => (calls++, fn()) }));
    server.failRefresh(null);
    assert.equal(isSessionError(error), true);
    assert.equal(calls, 1, 'the query function ran once');
    assert.equal(server.refreshCalls, 1);
    assert.equal(server.apiCalls, 0);
    assert.equal(queries.getQueryState(['todos', name]).fetchFailureCount, 1);
    queries.clear();
  });

  test(`${name}: without the isSessionError check the same query is retried (what the recipe prevents)`, async () => {
    server.reset();
    server.failRefresh(401);
    const client = await sessionThatEnds();
    const queries = queryClient({ retry: 3 });
    const { error } = await settle(queries.fetchQuery({ queryKey: ['todos', name], queryFn: queryFn(client) }));
    server.failRefresh(null);
    assert.ok(error);
    assert.equal(server.refreshCalls, 1);
    // The retries go out with no token (the session is over): each one a request the server refuses.
    assert.equal(server.apiCalls, 3);
    assert.equal(queries.getQueryState(['todos', name]).fetchFailureCount, 4);
    queries.clear();
  });

  test(`${name}: a transient refresh failure is retried, and the retry succeeds`, async () => {
    server.reset();
    server.failRefresh(503, 1);
    const { client } = await loggedIn(server, { ttl: -30, refreshRetry: { attempts: 1 } });
    clients.push(client);
    const queries = queryClient();
    const data = await queries.fetchQuery({ queryKey: ['todos', name], queryFn: queryFn(client) });
    assert.equal(data.path, '/api/todos');
    assert.equal(server.refreshCalls, 2);
    assert.equal(server.apiCalls, 1);
    assert.equal(queries.getQueryState(['todos', name]).fetchFailureCount, 0);
    queries.clear();
  });
}
