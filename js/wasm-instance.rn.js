// Instantiates a Rust module for React Native: real WebAssembly when the engine has it, otherwise
// the same module compiled to JavaScript (wasm2js; Hermes and iOS JavaScriptCore have no
// WebAssembly). Shared by core.rn.js and verify-wasm.rn.js.

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

/**
 * The module's exports.
 * @param {{ glue: object, importName: string, base64: string, wasm2js: () => object }} module
 *   `glue` the wasm-bindgen glue (bundler target) the module imports as `importName`; `base64`
 *   its bytes; `wasm2js` instantiates the JavaScript version (scripts/bundle-rn.mjs makes it lazy).
 */
export function instantiate({ glue, importName, base64, wasm2js }) {
  if (typeof WebAssembly === 'object' && WebAssembly !== null && typeof WebAssembly.Instance === 'function') {
    try {
      const imports = {};
      imports[importName] = glue;
      return new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(base64)), imports).exports;
    } catch {
      // An engine that has WebAssembly but refuses this module (a policy, a missing feature).
    }
  }
  return wasm2js();
}
