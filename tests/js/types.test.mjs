// The shipped .d.ts files type-check a user's app with tsc --noEmit, and reject a wrong one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../types/', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const check = (project) => spawnSync(process.execPath, [tsc, '-p', project], { cwd: dir, encoding: 'utf8' });

test('a typed app using authlane and authlane/redux compiles', () => {
  const r = check('tsconfig.json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a wrong option type is a compile error', () => {
  const r = check('tsconfig.bad.json');
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /TS2322.*RefreshEndpoint \| RefreshFunction/);
});
