// Loads the core module for the CommonJS build, synchronously, from its bytes inlined as base64
// (cjs/authlane_bg.wasm.js): no file located at run time, so a server bundler that packs `require`
// code (Next.js with webpack) keeps it working.
'use strict';
const { bind } = require('./core.js');
const { bytes } = require('./wasm-bytes.js');

const wasm = new WebAssembly.Module(bytes(require('./authlane_bg.wasm.js')));
exports.core = bind(new WebAssembly.Instance(wasm, {}).exports);
/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
exports.wasmMemoryBytes = () => exports.core.memoryBytes();

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
exports.loadVerifier = function loadVerifier() {
  return Promise.resolve().then(() => require('./verify-wasm.js').verifier);
};

/** The core with DPoP, loaded for the first client with `dpop`. */
exports.loadDpopCore = function loadDpopCore() {
  return Promise.resolve().then(() => require('./dpop-wasm.js').core);
};
