// The scenario in JavaScriptCore's `jsc` shell through `authlane/react-native`, as an app built by
// Metro imports it; bundled into one script by runtimes.test.mjs (esbuild). jsc-env.js comes
// first: it gives the engine what React Native provides and decides the wasm or wasm2js path.
import { engine, report, runLoop } from './jsc-env.js';
import * as authlane from 'authlane/react-native';
import { runScenario } from './scenario.js';

let result;
const control = globalThis.arguments[globalThis.arguments.length - 1];
const main = runScenario({ authlane, control, verify: false }).then(
  (r) => { result = r; },
  (e) => { result = { crash: String((e && e.stack) || e) }; },
);
const live = runLoop(main);
result.runtime = 'JavaScriptCore';
result.engine = Object.assign({}, engine, live);
report(result);
