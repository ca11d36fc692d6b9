// verifyJwt's module for React Native (`authlane/verify`), instantiated at import: WebAssembly
// where the engine has it, otherwise wasm2js (wasm-instance.rn.js). UTF-8 fallbacks first (the
// glue needs TextEncoder/TextDecoder). The build bundles this in place of verify-wasm.js.
import './text-codec.js';
import * as glue from 'authlane-rn-verify-glue';
import { instantiate as wasm2js } from 'authlane-rn-verify-wasm2js';
import base64 from 'authlane-rn-verify-wasm-base64';
import { instantiate } from './wasm-instance.rn.js';

glue.__wbg_set_wasm(instantiate({ glue, importName: './verify_bg.js', base64, wasm2js }));

/** The verification module's exports, ready. */
export const verifier = glue;
