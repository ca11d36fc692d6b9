// The core for React Native: real WebAssembly when the engine has it, otherwise the same module
// compiled to JavaScript (wasm2js; Hermes and iOS JavaScriptCore have no WebAssembly). Both are
// bundled; only the chosen one is instantiated (scripts/bundle-rn.mjs makes wasm2js's lazy).
import * as glue from 'authlane-rn-glue';
import { instantiate as wasm2js } from 'authlane-rn-wasm2js';
import wasmBase64 from 'authlane-rn-wasm-base64';

function decodeBase64(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lookup = new Uint8Array(128);
  for (let i = 0; i < 64; i++) lookup[alphabet.charCodeAt(i)] = i;
  const end = text.length - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    value = (value << 6) | lookup[text.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

function instantiate() {
  if (typeof WebAssembly === 'object' && WebAssembly !== null && typeof WebAssembly.Instance === 'function') {
    try {
      const bytes = decodeBase64(wasmBase64);
      return new WebAssembly.Instance(new WebAssembly.Module(bytes), { './authlane_bg.js': glue }).exports;
    } catch {
      // An engine that has WebAssembly but refuses this module (a policy, a missing feature).
    }
  }
  return wasm2js();
}

glue.__wbg_set_wasm(instantiate());
export const { ClientCore, decodeJwt, setErrorFactory } = glue;
