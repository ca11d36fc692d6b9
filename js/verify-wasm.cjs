// Loads verifyJwt's wasm module for the CommonJS build, synchronously from bytes inlined in the
// JavaScript (cjs/verify_bg.wasm.js; see wasm.cjs).
'use strict';
const { bytes } = require('./wasm-bytes.js');

const glue = require('./glue/verify.js');
glue.initSync({ module: bytes(require('./verify_bg.wasm.js')) });

/** The verification module's exports, ready. */
exports.verifier = glue;
