// Bytes of a base64 string, for the inline build's loaders (wasm.inline.js, verify-wasm.inline.js).

/** Uint8Array.fromBase64 where the engine has it. */
export function bytes(base64) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(base64);
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
