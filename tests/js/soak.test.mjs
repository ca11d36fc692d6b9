// The short soak under faults (the full one is `npm run soak`, figures in tests/SOAK.md): 1,000
// requests at concurrency 50 through one client against the real server, access tokens living
// 1 s, a fifth of the refresh calls failing transiently and one in twenty hanging. Seed 7 puts a
// hang, a reset connection, 5xx answers and three failures in a row (one refresh flight that
// fails after all its attempts) within the first 19 refresh calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { soak } from '../soak/soak.mjs';

test('short soak: every request settles, the session survives, refreshes stay bounded, wasm memory stays flat', { timeout: 60_000 }, async () => {
  const { figures, violations } = await soak({
    requests: 1000, concurrency: 50, ttl: 1, fail: 0.2, hang: 0.05, apiDelayMs: 1000, seed: 7,
  });
  assert.deepEqual(violations, [], JSON.stringify(figures, null, 1));
  assert.equal(figures.requests, 1000);
  // The faults really happened, of every kind, and one flight failed for good.
  assert.ok(figures.faultsByMode.hang >= 1, JSON.stringify(figures.faultsByMode));
  assert.ok(figures.faultsByMode.reset >= 1, JSON.stringify(figures.faultsByMode));
  assert.ok((figures.faultsByMode[502] ?? 0) + (figures.faultsByMode[503] ?? 0) >= 1, JSON.stringify(figures.faultsByMode));
  assert.ok(figures.refreshFlightsFailed >= 1, 'three failures in a row fail one flight');
  assert.ok(figures.outcomes.REFRESH_FAILED >= 1, 'the requests held by that flight reject REFRESH_FAILED');
  assert.ok(figures.outcomes[200] >= 900, JSON.stringify(figures.outcomes));
  // A token that arrived inside its leeway (whole-second iat) is refreshed once it expires, not
  // resent expired: 12 requests ended with a 401 before that fix, none after (tests/SOAK.md).
  assert.ok((figures.outcomes[401] ?? 0) <= 3, JSON.stringify(figures.outcomes));
  // Tokens expired many times during the run.
  assert.ok(figures.refreshSuccesses >= 8, `only ${figures.refreshSuccesses} refreshes in ${figures.elapsedMs} ms`);
});
