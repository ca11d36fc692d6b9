// What every runtime's run of scenario.js must show: what the app saw (the JSON the scenario
// returned) and what the auth server saw during each step (world.step). Shared by
// engines.test.mjs and browsers.test.mjs.
import assert from 'node:assert/strict';
import { CONCURRENT, STEPS } from './scenario.js';

/** deepEqual whose message shows what came (no value compared here holds a token). */
const same = (actual, expected, what) =>
  assert.deepEqual(actual, expected, `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
const times = (n, value) => Array.from({ length: n }, () => value);

/**
 * @param {object} world startWorld()'s result after the run
 * @param {object} result the scenario's JSON
 * @param {{ verify?: boolean }} [entry] verify: false for entries without verifyJwt (React Native)
 */
export function expectScenario(world, result, { verify = true } = {}) {
  assert.ok(!result.crash, `the scenario crashed: ${result.crash}`);
  for (const name of STEPS) assert.ok(!result.steps[name].error, `step ${name} threw: ${result.steps[name].error}`);
  same(world.marked(), [...STEPS, 'end'], 'every step ran, in order');
  const { steps } = result;
  const server = (name) => {
    const seen = world.step(name);
    return { refreshCalls: seen.refreshCalls, api: [...seen.api].sort() };
  };

  same(steps.decode, { name: 'Zoë', sub: 'user-1', expIsNumber: true, alg: 'HS256', broken: 'INVALID_TOKEN' }, 'decodeJwt');
  same(server('decode'), { refreshCalls: 0, api: [] }, 'decodeJwt needs no server');

  same(steps.restore, { restored: true, authenticated: true, name: 'Zoë', status: 200, sub: 'user-1' }, 'restored from storage');
  same(server('restore'), { refreshCalls: 0, api: ['valid'] }, 'the restored token went out, no refresh');

  same(steps.expired, { statuses: times(CONCURRENT, 200), actions: ['refreshStarted', 'refreshSucceeded'], rotated: true }, 'expired token');
  same(server('expired'), { refreshCalls: 1, api: times(CONCURRENT, 'valid') },
    `${CONCURRENT} requests through an expired token: one refresh, each sent once with the new token`);
  const { refreshBodies, issued } = world.step('expired');
  assert.ok(refreshBodies[0] === issued[0], 'the refresh presented the refresh token given to login()');

  same(steps.straggler, { statuses: [200, 200], actions: ['refreshStarted', 'refreshSucceeded'], reasons: ['rejected'] }, 'straggler');
  same(server('straggler'), { refreshCalls: 1, api: ['revoked', 'revoked', 'valid', 'valid'] },
    'requests rejected for a revoked token: one refresh, each sent again once');

  same(steps.verify, verify
    ? { valid: 'ok:Zoë', tampered: 'SIGNATURE_INVALID', wrongAlgorithm: 'SIGNATURE_INVALID' }
    : { refused: 'INVALID_CONFIG' }, 'verifyJwt');
  same(server('verify'), { refreshCalls: 0, api: [] }, 'verifyJwt needs no server');

  same(steps.definitive, {
    outcomes: times(3, 'SESSION_EXPIRED'),
    actions: ['refreshStarted', 'refreshFailed', 'sessionExpired'],
    reasons: ['refresh_rejected'],
    authenticated: false,
    stored: 0,
  }, 'a definitive refresh failure ends the session (sessionExpired once)');
  same(server('definitive'), { refreshCalls: 1, api: ['revoked', 'revoked', 'revoked'] }, 'one refresh, nothing sent again');

  same(steps.dispose, { held: 'LOGGED_OUT' }, 'dispose() rejects the held request');
  same(server('dispose'), { refreshCalls: 1, api: [] }, 'the held request never went out');
  same(server('end'), { refreshCalls: 0, api: [] }, 'nothing went out after dispose()');
}
