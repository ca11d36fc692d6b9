// The scenario in a server-side runtime (Node 18+, Deno, Bun): `authlane` resolves through the
// installed package's exports map as the runtime does it (the `node` condition in all three).
// Prints one line `RESULT <json>` and then must exit by itself: nothing authlane leaves behind
// after dispose() may keep the process alive (runtimes.test.mjs times the exit).
import * as authlane from 'authlane';
import { runScenario } from './scenario.js';

const control = globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2];
const result = await runScenario({ authlane, control });
result.runtime = globalThis.Deno ? 'Deno ' + Deno.version.deno : globalThis.Bun ? 'Bun ' + Bun.version : 'Node ' + process.versions.node;
console.log('RESULT ' + JSON.stringify(result));
