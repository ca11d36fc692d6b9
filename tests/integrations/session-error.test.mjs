// isSessionError from the packed package (ESM, CommonJS and the React Native build): which errors
// mean "the session is over", through a chain of causes, across realms, for any thrown value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { AuthlaneError, isSessionError } from 'authlane';
import * as native from 'authlane/react-native';

const require = createRequire(import.meta.url);
const wrap = (error, times) => {
  let e = error;
  for (let i = 0; i < times; i++) e = new Error(`wrapper ${i}`, { cause: e });
  return e;
};

for (const [build, check] of [
  ['ESM', isSessionError],
  ['CommonJS', require('authlane').isSessionError],
  ['React Native', native.isSessionError],
]) {
  test(`${build}: SESSION_EXPIRED and LOGGED_OUT are session errors, other codes and values are not`, () => {
    assert.equal(check(new AuthlaneError('SESSION_EXPIRED', 'over')), true);
    assert.equal(check(new AuthlaneError('LOGGED_OUT', 'over')), true);
    for (const code of ['REFRESH_FAILED', 'NETWORK_ERROR', 'TIMEOUT', 'BAD_REFRESH_RESPONSE', 'STORAGE_ERROR', 'BODY_NOT_REPLAYABLE', 'INVALID_CONFIG']) {
      assert.equal(check(new AuthlaneError(code, 'not over')), false, code);
    }
    for (const value of [undefined, null, 0, 'SESSION_EXPIRED', new Error('x'), { code: 'SESSION_EXPIRED' }, Object.create(null)]) {
      assert.equal(check(value), false);
    }
  });
}

test('found as the cause of a wrapper, a few levels deep; a cycle of causes ends', () => {
  const ended = new AuthlaneError('SESSION_EXPIRED', 'over');
  assert.equal(isSessionError(wrap(ended, 1)), true);
  assert.equal(isSessionError(wrap(ended, 3)), true);
  assert.equal(isSessionError(wrap(new AuthlaneError('REFRESH_FAILED', 'retry'), 2)), false);
  const cycle = new Error('a');
  cycle.cause = new Error('b', { cause: cycle });
  assert.equal(isSessionError(cycle), false);
  assert.equal(isSessionError(wrap(ended, 20)), false, 'the walk is bounded');
});

test('an error from another realm (an iframe, a vm context) or another copy of the package', () => {
  const foreign = runInNewContext(`(() => {
    const e = new Error('over');
    e.name = 'AuthlaneError';
    e.code = 'LOGGED_OUT';
    return new Error('wrapped', { cause: e });
  })()`);
  assert.ok(!(foreign.cause instanceof Error));
  assert.equal(isSessionError(foreign), true);
});
