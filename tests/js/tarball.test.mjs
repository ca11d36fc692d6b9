// `npm pack` output installs into an empty project and works with import and require, in this
// Node and in Node 18 (the oldest supported; scripts/setup.sh fetches it into .cache/node18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const build = new URL('../../build/', import.meta.url).pathname;
const tarball = join(build, readdirSync(build).find((f) => /^authlane-.*\.tgz$/.test(f)));
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoiSm9zw6kifQ.x';
const node18 = new URL('../../.cache/node18/bin/node', import.meta.url).pathname;

// A client in the consumer project: one request to a local server that echoes the header it got.
const clientScript = `
  import http from 'node:http';
  import { createAuthClient } from 'authlane';
  const server = http.createServer((q, s) => s.end(q.headers.authorization || 'none')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const client = await createAuthClient({ baseUrl: 'http://127.0.0.1:' + server.address().port, refresh: async () => null });
  await client.login({ accessToken: 'opaque-token' });
  console.log(process.version.split('.')[0], await (await client.fetch('/x')).text());
  client.dispose();
  server.close();`;

for (const [label, nodeBin] of [['this Node', process.execPath], ['Node 18', node18]]) test(`installs into an empty project; import and require work in ${label}`, (t) => {
  assert.ok(existsSync(nodeBin), `${nodeBin} is missing: run scripts/setup.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'authlane-consumer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir });
  const run = (file, code) => {
    writeFileSync(join(dir, file), code);
    return execFileSync(nodeBin, [file], { cwd: dir, encoding: 'utf8' }).trim();
  };
  assert.equal(run('a.mjs', `import { decodeJwt } from 'authlane'; console.log(decodeJwt('${token}').name)`), 'José');
  assert.equal(run('b.cjs', `console.log(require('authlane').decodeJwt('${token}').name)`), 'José');
  assert.equal(run('c.mjs', `import * as r from 'authlane/redux'; import * as n from 'authlane/react-native'; console.log(typeof r.ACTION, typeof n.decodeJwt)`), 'object function');
  const major = label === 'Node 18' ? 'v18' : process.version.split('.')[0];
  assert.equal(run('d.mjs', clientScript), `${major} Bearer opaque-token`);
});
