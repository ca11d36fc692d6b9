// The core for React Native: real WebAssembly when the engine has it, otherwise the same module
// compiled to JavaScript (wasm-instance.rn.js). Both are bundled; only the chosen one is
// instantiated (scripts/bundle-rn.mjs makes wasm2js's lazy).
import * as glue from 'authlane-rn-glue';
import { instantiate as wasm2js } from 'authlane-rn-wasm2js';
import base64 from 'authlane-rn-wasm-base64';
import { instantiate } from './wasm-instance.rn.js';

glue.__wbg_set_wasm(instantiate({ glue, importName: './authlane_bg.js', base64, wasm2js }));
export const { ClientCore, decodeJwt, setErrorFactory } = glue;
