// Loads the core module with DPoP for the CommonJS build, from its bytes inlined as base64 (see
// wasm.cjs and dpop-wasm.js).
'use strict';
const { bind } = require('./core.js');
const { bytes } = require('./wasm-bytes.js');

const wasm = new WebAssembly.Module(bytes(require('./authlane_dpop_bg.wasm.js')));
exports.core = bind(new WebAssembly.Instance(wasm, {}).exports);
