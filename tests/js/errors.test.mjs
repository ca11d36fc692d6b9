// AuthlaneError's shape and the cross-realm type guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { AuthlaneError, isAuthlaneError } from 'authlane';

test('AuthlaneError is an Error with name, code, message and cause', () => {
  const cause = new TypeError('boom');
  const e = new AuthlaneError('STORAGE_ERROR', 'storage failed', { cause });
  assert.ok(e instanceof Error);
  assert.ok(e instanceof AuthlaneError);
  assert.equal(e.name, 'AuthlaneError');
  assert.equal(e.code, 'STORAGE_ERROR');
  assert.equal(e.message, 'storage failed');
  assert.equal(e.cause, cause);
  assert.match(String(e), /^AuthlaneError: storage failed/);
  assert.ok(e.stack.includes('errors.test.mjs'));
});

test('isAuthlaneError works across realms and rejects look-alikes', () => {
  const foreign = vm.runInNewContext('const e = new Error("x"); e.name = "AuthlaneError"; e.code = "TIMEOUT"; e');
  assert.equal(foreign instanceof Error, false);
  assert.equal(isAuthlaneError(foreign), true);
  for (const v of [null, undefined, 'AuthlaneError', new Error('x'), { name: 'AuthlaneError' }]) {
    assert.equal(isAuthlaneError(v), false);
  }
});
