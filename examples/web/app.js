// The demo page: a Redux Toolkit store with authlane's middleware and reducer, and a timeline of
// every request: held while the refresh runs, sent, rejected, resent; and the one refresh.
import { createAuthClient, ACTION, isAuthlaneError } from 'authlane';
import { authMiddleware, authReducer, selectAuth } from 'authlane/redux';
import { configureStore, createSlice } from '@reduxjs/toolkit';

const now = () => performance.now();
const $ = (id) => document.getElementById(id);

const timeline = createSlice({
  name: 'timeline',
  initialState: { requests: [], refreshes: [] },
  reducers: {
    cleared: () => ({ requests: [], refreshes: [] }),
    requestStarted: (s, { payload }) => void s.requests.push({ id: payload.id, start: payload.t, attempts: [], end: null, outcome: null }),
    attemptSent: (s, { payload }) => void s.requests.find((r) => r.id === payload.id)?.attempts.push({ start: payload.t, end: null, status: null }),
    attemptEnded: (s, { payload }) => {
      const a = s.requests.find((r) => r.id === payload.id)?.attempts.at(-1);
      if (a) Object.assign(a, { end: payload.t, status: payload.status });
    },
    requestSettled: (s, { payload }) => {
      const r = s.requests.find((x) => x.id === payload.id);
      if (r) Object.assign(r, { end: payload.t, outcome: payload.outcome });
    },
    refreshMark: (s, { payload }) => {
      if (payload.phase === 'start') s.refreshes.push({ start: payload.t, end: null, ok: null });
      else if (s.refreshes.length) Object.assign(s.refreshes.at(-1), { end: payload.t, ok: payload.phase === 'ok' });
    },
  },
});
const { cleared, requestStarted, attemptSent, attemptEnded, requestSettled, refreshMark } = timeline.actions;

// Storage the page can read, so logout can revoke the refresh token on the server.
const items = new Map();
const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };

let store;
// The transport: the real fetch, watched, so the timeline shows what really went over the wire.
const transport = async (input, init) => {
  const request = new Request(input, init);
  const id = request.headers.get('x-demo-id');
  if (id) store.dispatch(attemptSent({ id, t: now() }));
  try {
    const response = await fetch(request);
    if (id) store.dispatch(attemptEnded({ id, t: now(), status: response.status }));
    return response;
  } catch (error) {
    if (id) store.dispatch(attemptEnded({ id, t: now(), status: 0 }));
    throw error;
  }
};

const client = await createAuthClient({ baseUrl: location.origin, refresh: { url: '/auth/refresh' }, storage, fetch: transport, leewaySeconds: 3 });
store = configureStore({
  reducer: { auth: authReducer, timeline: timeline.reducer },
  middleware: (getDefault) => getDefault().concat(authMiddleware(client)),
});
client.subscribe((action) => {
  const t = now();
  if (action.type === ACTION.refreshStarted) store.dispatch(refreshMark({ phase: 'start', t }));
  if (action.type === ACTION.refreshSucceeded) store.dispatch(refreshMark({ phase: 'ok', t }));
  if (action.type === ACTION.refreshFailed) store.dispatch(refreshMark({ phase: 'failed', t }));
});

let seq = 0;
async function fire(n) {
  store.dispatch(cleared());
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const id = `r${++seq}`;
    store.dispatch(requestStarted({ id, t: now() }));
    let outcome;
    try {
      const res = await client.fetch(`/api/items?n=${i + 1}`, { headers: { 'x-demo-id': id } });
      outcome = res.ok ? 'ok' : `HTTP ${res.status}`;
    } catch (e) {
      outcome = isAuthlaneError(e) ? e.code : e.name;
    }
    store.dispatch(requestSettled({ id, t: now(), outcome }));
  }));
}

const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

$('login').onclick = async () => {
  const res = await post('/auth/login', { username: 'demo', password: 'demo' });
  await client.login(await res.json());
};
$('fire1').onclick = () => fire(1);
$('fire20').onclick = () => fire(20);
$('expire').onclick = () => post('/demo/expire');
$('refresh-mode').onchange = (e) => post('/demo/switches', { refresh: e.target.value });
$('logout').onclick = async () => {
  const refreshToken = storage.getItem('authlane.refreshToken');
  await client.logout();
  if (refreshToken) await post('/auth/logout', { refreshToken });
};

function renderSession() {
  const auth = selectAuth(store.getState());
  const expired = auth.error?.code === 'SESSION_EXPIRED';
  $('session-state').textContent = auth.authenticated
    ? auth.refreshing ? 'refreshing…' : auth.error ? `signed in (last refresh: ${auth.error.code})` : 'signed in'
    : expired ? 'session expired: log in again' : 'signed out';
  $('session-user').textContent = auth.claims ? `${auth.claims.name} (${auth.claims.sub})` : '–';
  $('session-expiry').textContent = auth.expiresAt ? `${Math.max(0, Math.round((auth.expiresAt - Date.now()) / 1000))} s` : '–';
}

function bar(track, from, to, t0, span, cls) {
  const el = document.createElement('div');
  el.className = `bar ${cls}`;
  el.style.left = `${((from - t0) / span) * 100}%`;
  el.style.width = `${(Math.max(to - from, 0) / span) * 100}%`;
  track.append(el);
}

function renderTimeline() {
  const { requests, refreshes } = store.getState().timeline;
  const root = $('timeline');
  root.replaceChildren();
  if (!requests.length) return;
  const t0 = requests[0].start;
  const tEnd = Math.max(now(), ...requests.map((r) => r.end ?? 0));
  const span = Math.max(tEnd - t0, 1);
  const row = (name) => {
    const r = document.createElement('div');
    r.className = 'row';
    r.innerHTML = `<span class="name">${name}</span><span class="track"></span>`;
    root.append(r);
    return r.lastChild;
  };
  const shownRefreshes = refreshes.filter((f) => (f.end ?? tEnd) >= t0);
  for (const f of shownRefreshes) bar(row('refresh'), Math.max(f.start, t0), f.end ?? tEnd, t0, span, f.ok === false ? 'failed' : 'refresh');
  for (const r of requests) {
    const track = row(r.id);
    const firstSend = r.attempts[0]?.start ?? r.end ?? tEnd;
    // Held: the request waited while a refresh was in flight (not mere scheduling delay).
    const waitedOnRefresh = shownRefreshes.some((f) => f.start < firstSend && (f.end ?? tEnd) > r.start);
    if (waitedOnRefresh) bar(track, r.start, firstSend, t0, span, 'held');
    r.attempts.forEach((a, i) => bar(track, a.start, a.end ?? tEnd, t0, span, a.status === 401 ? 'rejected' : i > 0 ? 'resent' : 'sent'));
    if (r.outcome && r.outcome !== 'ok' && !r.attempts.length) bar(track, r.start, r.end, t0, span, 'failed');
  }
  const done = requests.filter((r) => r.outcome);
  const ok = done.filter((r) => r.outcome === 'ok').length;
  const failed = done.filter((r) => r.outcome !== 'ok');
  const codes = [...new Set(failed.map((r) => r.outcome))].join(', ');
  $('summary').textContent = done.length < requests.length
    ? `${requests.length} requests in flight…`
    : `${requests.length} request${requests.length === 1 ? '' : 's'}, ${shownRefreshes.length} refresh${shownRefreshes.length === 1 ? '' : 'es'}, ${ok} success${ok === 1 ? '' : 'es'}` +
      (failed.length ? `, ${failed.length} failed (${codes})` : '');
}

store.subscribe(() => { renderSession(); renderTimeline(); });
setInterval(renderSession, 250);
renderSession();
document.body.dataset.ready = 'true';
