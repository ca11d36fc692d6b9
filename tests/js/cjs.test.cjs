// The CommonJS entry points load synchronously with require().
const { test } = require('node:test');
const assert = require('node:assert/strict');

test('require("authlane") decodes synchronously and throws AuthlaneError', () => {
  const { decodeJwt, AuthlaneError, isAuthlaneError, ACTION } = require('authlane');
  assert.deepEqual(decodeJwt('x.eyJuYW1lIjoiSm9zw6kifQ'), { name: 'José' });
  assert.throws(() => decodeJwt('nope'), (e) => e instanceof AuthlaneError && isAuthlaneError(e) && e.code === 'INVALID_TOKEN');
  assert.equal(ACTION.refreshStarted, 'authlane/refreshStarted');
});

test('require of every entry point works', () => {
  assert.equal(typeof require('authlane/redux').ACTION, 'object');
  assert.equal(typeof require('authlane/react-native').decodeJwt, 'function');
  assert.equal(require('authlane/package.json').name, 'authlane');
});
