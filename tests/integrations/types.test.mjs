// The shipped types of authlane/react and isSessionError check a typed app with tsc --noEmit, and
// reject a wrong one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./types/', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const check = (project) => spawnSync(process.execPath, [tsc, '-p', project], { cwd: dir, encoding: 'utf8' });

test('a typed app using useSession and isSessionError compiles', () => {
  const r = check('tsconfig.app.json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a wrong argument and a write to the session are compile errors', () => {
  const r = check('tsconfig.bad.json');
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /bad\.ts\(4,\d+\): error TS(2345|2353)/);
  assert.match(r.stdout, /bad\.ts\(5,\d+\): error TS2540/);
});
