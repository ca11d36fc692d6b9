// A TypeScript app compiles against the installed package (tests/node_modules/authlane) under
// every moduleResolution a project may use, for every entry point in its "exports", and gets the
// declaration flavour that matches how its file is compiled: CommonJS declarations (.d.cts) for a
// file compiled to `require`, ES module declarations (.d.ts) for one compiled to `import`. ESM
// declarations served to a CommonJS file ("masquerading as ESM") fail the node16 CommonJS case
// with TS1479; a missing declaration fails every case with TS7016 (strict).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const tests = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const installed = join(tests, 'node_modules', 'authlane');
const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
const specifiers = Object.keys(manifest.exports)
  .filter((subpath) => !subpath.endsWith('.json'))
  .map((subpath) => 'authlane' + subpath.slice(1));
// Entries imported for their effect alone (`import 'authlane/dpop'` registers DPoP's modules):
// their declarations say so with `export {}`.
const effectOnly = new Set(['authlane/dpop']);

// Under tests/ so that `authlane` resolves to tests/node_modules/authlane, as in a user's project.
mkdirSync(join(tests, 'artifacts'), { recursive: true });
const dir = mkdtempSync(join(tests, 'artifacts', 'types-resolution-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// One source, compiled as .ts, .mts and .cts. Import syntax is the same for both module systems:
// TypeScript emits `require` for it in a .cts file and in a node10/commonjs project.
const source = `
${specifiers.map((s, i) => `import * as entry${i} from '${s}';`).join('\n')}
import { createAuthClient, isAuthlaneError, type AuthClient } from 'authlane';
import { apiCall, authReducer, type AuthState } from 'authlane/redux';
import { decodeJwt } from 'authlane/react-native';

// Every entry point has typed exports (an untyped one is already TS7016 under strict).
type Typed<T> = keyof T extends never ? 'no exports' : 'typed';
export const everyEntryTyped: Array<'typed'> = [${specifiers.map((s, i) => (effectOnly.has(s) ? '' : `null as unknown as Typed<typeof entry${i}>`)).filter(Boolean).join(', ')}];

export async function app(): Promise<AuthClient> {
  const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/auth/refresh' } });
  // @ts-expect-error refresh is an endpoint or a function (unused, so an error, if the types were any)
  void createAuthClient({ refresh: 42 });
  const state: AuthState = authReducer(undefined, apiCall({ url: '/todos', types: ['a', 'b', 'c'] }));
  const sub: unknown = decodeJwt<{ sub: string }>('x.y.z').sub;
  try {
    await client.fetch('/me', { auth: true });
  } catch (e) {
    if (isAuthlaneError(e) && e.code === 'SESSION_EXPIRED') await client.logout();
  }
  void [state.authenticated, sub];
  return client;
}
`;
for (const ext of ['ts', 'mts', 'cts']) writeFileSync(join(dir, `consumer.${ext}`), source);

const modes = [
  // [name, compilerOptions, files, which declaration flavours the compile may load]
  ['node10 (CommonJS output)', { module: 'commonjs', moduleResolution: 'node10' }, ['consumer.ts'], ['.d.ts']],
  ['node16 from an ES module', { module: 'node16', moduleResolution: 'node16' }, ['consumer.mts'], ['.d.ts']],
  ['node16 from CommonJS', { module: 'node16', moduleResolution: 'node16' }, ['consumer.cts'], ['.d.cts']],
  ['nodenext from both', { module: 'nodenext', moduleResolution: 'nodenext' }, ['consumer.mts', 'consumer.cts'], ['.d.cts', '.d.ts']],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['consumer.ts'], ['.d.ts']],
];

const packageRoot = realpathSync(installed) + sep;
for (const [name, options, files, flavours] of modes) {
  test(`a consumer compiles under moduleResolution ${name}`, () => {
    const config = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
    // skipLibCheck false: the package's own declarations are checked too (a .d.cts importing an
    // ES module is an error there); TypeScript's lib files are not (half the time).
    const compilerOptions = { strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false, skipDefaultLibCheck: true, ...options };
    writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, files }));
    const r = spawnSync(process.execPath, [tsc, '-p', config, '--listFiles'], { cwd: dir, encoding: 'utf8' });
    const listed = r.stdout.split('\n').map((line) => line.trim());
    const errors = listed.filter((line) => /error TS\d+/.test(line));
    assert.deepEqual(errors, [], r.stderr);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const loaded = listed.filter((f) => f.startsWith(packageRoot)).map((f) => f.slice(packageRoot.length));
    const seen = [...new Set(loaded.map((f) => f.match(/\.d\.c?ts$/)?.[0]))].sort();
    assert.deepEqual(seen, flavours, `declarations loaded: ${loaded.join(', ')}`);
  });
}
