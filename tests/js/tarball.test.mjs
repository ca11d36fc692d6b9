// `npm pack` output installs into an empty project and works with import and require.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const build = new URL('../../build/', import.meta.url).pathname;
const tarball = join(build, readdirSync(build).find((f) => /^authlane-.*\.tgz$/.test(f)));
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoiSm9zw6kifQ.x';

test('installs into an empty project; import and require both decode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authlane-consumer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir });
  const run = (file, code) => {
    writeFileSync(join(dir, file), code);
    return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' }).trim();
  };
  assert.equal(run('a.mjs', `import { decodeJwt } from 'authlane'; console.log(decodeJwt('${token}').name)`), 'José');
  assert.equal(run('b.cjs', `console.log(require('authlane').decodeJwt('${token}').name)`), 'José');
  assert.equal(run('c.mjs', `import * as r from 'authlane/redux'; import * as n from 'authlane/react-native'; console.log(typeof r.ACTION, typeof n.decodeJwt)`), 'object function');
});
