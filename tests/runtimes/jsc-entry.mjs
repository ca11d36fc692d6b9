// The scenario in JavaScriptCore's `jsc` shell through `authlane/react-native`, and verifyJwt
// through `authlane/verify` (its React Native build, by the `react-native` condition), as an app
// built by Metro imports them; bundled into one script by hosts.mjs (esbuild). jsc-env.js comes
// first: it gives the engine what React Native provides and decides the wasm or wasm2js path.
import { engine, report, runLoop } from './jsc-env.js';
import * as authlane from 'authlane/react-native';
import { verifyJwt } from 'authlane/verify';
import { runScenario } from './scenario.js';

let result;
const control = globalThis.arguments[globalThis.arguments.length - 1];
const main = runScenario({ authlane, control, verifyJwt }).then(
  (r) => { result = r; },
  (e) => { result = { crash: String((e && e.stack) || e) }; },
);
const live = runLoop(main);
result.runtime = 'JavaScriptCore';
result.engine = Object.assign({}, engine, live);
report(result);
