// Loads the wasm modules for the CommonJS build (`require`), synchronously from bytes inlined in
// the JavaScript (cjs/authlane_bg.wasm.js): like the inline build, it locates no file at run
// time, so it also works where a bundler has moved it (a server bundle, Metro on the web).
'use strict';
const { bytes } = require('./wasm-bytes.js');
const { makeError } = require('./errors.js');

const glue = require('./glue/authlane.js');
const instance = glue.initSync({ module: bytes(require('./authlane_bg.wasm.js')) });
glue.setErrorFactory(makeError);

exports.core = glue;
/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
exports.wasmMemoryBytes = () => instance.memory.buffer.byteLength;

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
exports.loadVerifier = function loadVerifier() {
  return Promise.resolve().then(() => require('./verify-wasm.js').verifier);
};
