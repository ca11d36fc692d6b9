// Loads the core module for the CommonJS build, synchronously from the package's files.
'use strict';
const fs = require('fs');
const path = require('path');
const { bind } = require('./core.js');

const wasm = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, '..', 'wasm', 'authlane_bg.wasm')));
exports.core = bind(new WebAssembly.Instance(wasm, {}).exports);
/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
exports.wasmMemoryBytes = () => exports.core.memoryBytes();

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
exports.loadVerifier = function loadVerifier() {
  return Promise.resolve().then(() => require('./verify-wasm.js').verifier);
};
