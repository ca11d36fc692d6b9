// The packed tarball (build/authlane-*.tgz) as the npm registry and its users' tools see it: the
// files an npm page and a lawyer look for, the metadata, and the ecosystem's own linters, publint
// and @arethetypeswrong/cli (pinned in this folder's package.json, installed by scripts/setup.sh).
// Any message from either fails: a suggestion today is a broken setup for some user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const here = fileURLToPath(new URL('.', import.meta.url));
const build = fileURLToPath(new URL('../../build/', import.meta.url));
const tarballs = readdirSync(build).filter((f) => /^authlane-.*\.tgz$/.test(f));
assert.equal(tarballs.length, 1, `expected one build/authlane-*.tgz (scripts/install-pkg.sh makes it), found ${tarballs.length}`);
const tarball = join(build, tarballs[0]);
const read = (path) => execFileSync('tar', ['-xOzf', tarball, `package/${path}`], { encoding: 'utf8' });
const manifest = JSON.parse(read('package.json'));
// Every subpath a user can import ("./package.json" is data, not an entry point).
const entrypoints = Object.keys(manifest.exports).filter((subpath) => !subpath.endsWith('.json'));

test('the tarball carries the README written for npm and the MIT LICENSE', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  assert.ok(files.includes('package/README.md'), 'README.md is missing');
  assert.ok(files.includes('package/LICENSE'), 'LICENSE is missing');
  const readme = read('README.md');
  assert.match(readme, /^npm install authlane$/m);
  assert.match(readme, /React Native/);
  assert.match(readme, /https:\/\/github\.com\/authlane\/authlane/);
  const license = read('LICENSE');
  assert.match(license, /^MIT License$/m);
  assert.match(license, /^Copyright \(c\) 2026 the authlane authors$/m);
  assert.equal(manifest.license, 'MIT');
});

test('package.json says where the code, the docs and the issues are', () => {
  assert.equal(manifest.repository?.url, 'git+https://github.com/authlane/authlane.git');
  assert.equal(manifest.homepage, 'https://github.com/authlane/authlane#readme');
  assert.equal(manifest.bugs?.url, 'https://github.com/authlane/authlane/issues');
  // A peer dependency of one integration must never be forced on users of the others.
  for (const name of Object.keys(manifest.peerDependencies ?? {})) {
    assert.equal(manifest.peerDependenciesMeta?.[name]?.optional, true, `peer dependency ${name} is not optional`);
  }
  assert.deepEqual(manifest.dependencies ?? {}, {});
});

// The one suggestion kept on purpose: publint would move `browser` into exports, but Parcel at
// its defaults reads the top-level `browser` field and ignores `exports` (tests/bundlers).
const KEPT = new Set(['USE_EXPORTS_BROWSER']);

test('publint reports nothing, not even a suggestion (but the browser field Parcel needs)', async () => {
  const data = readFileSync(tarball);
  const tarballBuffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball: tarballBuffer }, level: 'suggestion' });
  const lines = messages.filter((m) => !(m.type === 'suggestion' && KEPT.has(m.code)))
    .map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false })}`);
  assert.deepEqual(lines, []);
});

test('@arethetypeswrong/cli finds every entry point typed and reports no problem', () => {
  const attw = join(here, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  // No .attw.json is read from here: the default (strict) profile checks node10, node16 from
  // CommonJS and from ESM, and bundler resolution.
  const run = spawnSync(process.execPath, [attw, tarball, '--format', 'json'], { cwd: here, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.ok(run.stdout.trim().startsWith('{'), `attw failed to run: ${run.stderr}`);
  const { analysis } = JSON.parse(run.stdout);
  // attw exits 0 for a package without types: say so instead.
  assert.ok(analysis.types, 'attw found no types in the package');
  for (const subpath of entrypoints) assert.ok(subpath in analysis.entrypoints, `attw did not check ${subpath}`);
  // Each problem names its kind, entry point and resolution; the table that explains them:
  // node tests/package-lint/node_modules/.bin/attw build/authlane-*.tgz
  const describe = (p) =>
    [p.kind, p.entrypoint, p.resolutionKind, p.typesFileName && `types ${p.typesFileName}`, p.implementationFileName && `js ${p.implementationFileName}`]
      .filter(Boolean)
      .join(' ');
  assert.deepEqual(analysis.problems.map(describe), []);
  assert.equal(run.status, 0, run.stderr);
});
