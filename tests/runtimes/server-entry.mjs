// The scenario in a server-side runtime (Node 18+, Deno, Bun): `authlane` resolves through the
// installed package's exports map as the runtime does it (the `node` condition in all three).
// Prints one line `RESULT <json>` and then must exit by itself: nothing authlane leaves behind
// after dispose() may keep the process alive (runtimes.test.mjs times the exit).
// `--require` loads the package with require() instead (the CommonJS build, `require` condition);
// `--verify-entry` takes verifyJwt from `authlane/verify` instead of `authlane`.
import { runScenario } from './scenario.js';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const viaRequire = args[0] === '--require';
const { authlane, resolved } = viaRequire
  ? (await import('./require-authlane.cjs')).default
  : { authlane: await import('authlane'), resolved: import.meta.resolve('authlane') };
const verifyEntry = args[0] === '--verify-entry' ? await import('authlane/verify') : null;
const result = await runScenario({ authlane, control: args[args.length - 1], verifyJwt: verifyEntry && verifyEntry.verifyJwt });
// The files the runtime picked from the package's exports map, e.g. "inline/index.js".
const inPackage = (url) => String(url).replace(/^.*\/node_modules\/authlane\//, '');
result.entry = inPackage(resolved);
if (verifyEntry) result.verifyEntry = inPackage(import.meta.resolve('authlane/verify'));
result.runtime = globalThis.Deno ? 'Deno ' + Deno.version.deno : globalThis.Bun ? 'Bun ' + Bun.version : 'Node ' + process.versions.node;
console.log('RESULT ' + JSON.stringify(result));
