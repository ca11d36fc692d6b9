// Loads the wasm modules for the CommonJS build, synchronously from the package's files.
'use strict';
const fs = require('fs');
const path = require('path');
const { makeError } = require('./errors.js');

function init(glue, name) {
  glue.initSync({ module: fs.readFileSync(path.join(__dirname, '..', 'wasm', name)) });
  glue.setErrorFactory(makeError);
  return glue;
}

exports.core = init(require('./glue/authlane.js'), 'authlane_bg.wasm');

let verifier;
exports.loadVerifier = function loadVerifier() {
  verifier = verifier || Promise.resolve().then(() => init(require('./glue/verify.js'), 'verify_bg.wasm'));
  return verifier;
};
