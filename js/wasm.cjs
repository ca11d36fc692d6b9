// Loads the wasm modules for the CommonJS build, synchronously from the package's files.
'use strict';
const fs = require('fs');
const path = require('path');
const { makeError } = require('./errors.js');

function init(glue, name) {
  const instance = glue.initSync({ module: fs.readFileSync(path.join(__dirname, '..', 'wasm', name)) });
  glue.setErrorFactory(makeError);
  return { glue, instance };
}

const loaded = init(require('./glue/authlane.js'), 'authlane_bg.wasm');
exports.core = loaded.glue;
/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
exports.wasmMemoryBytes = () => loaded.instance.memory.buffer.byteLength;

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
exports.loadVerifier = function loadVerifier() {
  return Promise.resolve().then(() => require('./verify-wasm.js').verifier);
};
