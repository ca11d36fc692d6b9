// Loads verifyJwt's wasm module for the CommonJS build, synchronously from the package's files.
'use strict';
const fs = require('fs');
const path = require('path');

const glue = require('./glue/verify.js');
glue.initSync({ module: fs.readFileSync(path.join(__dirname, '..', 'wasm', 'verify_bg.wasm')) });

/** The verification module's exports, ready. */
exports.verifier = glue;
