// UTF-8 TextEncoder/TextDecoder for engines that lack them (Hermes, older React Native); installed
// on globalThis only where missing, before the wasm glue loads. decode() with no argument works,
// as the glue calls it so.
function encode(text) {
  const s = String(text === undefined ? '' : text);
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

function decode(bytes) {
  if (bytes === undefined) return '';
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer || bytes);
  let s = '';
  for (let i = 0; i < b.length; ) {
    const x = b[i];
    let c = 0xfffd;
    let n = 1;
    const cont = (k) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
    if (x < 0x80) c = x;
    else if (x >= 0xc2 && x < 0xe0 && cont(1)) { c = ((x & 31) << 6) | (b[i + 1] & 63); n = 2; }
    else if (x >= 0xe0 && x < 0xf0 && cont(1) && cont(2)) {
      c = ((x & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      n = 3;
      if (c < 0x800 || (c >= 0xd800 && c < 0xe000)) c = 0xfffd;
    } else if (x >= 0xf0 && x < 0xf5 && cont(1) && cont(2) && cont(3)) {
      c = ((x & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63);
      n = 4;
      if (c < 0x10000 || c > 0x10ffff) c = 0xfffd;
    }
    if (c > 0xffff) {
      c -= 0x10000;
      s += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 1023));
    } else {
      s += String.fromCharCode(c);
    }
    i += n;
  }
  return s;
}

function TextEncoderFallback() {}
TextEncoderFallback.prototype.encode = encode;
TextEncoderFallback.prototype.encodeInto = function encodeInto(text, view) {
  const bytes = encode(text);
  const written = Math.min(bytes.length, view.length);
  view.set(bytes.subarray(0, written));
  return { read: String(text).length, written };
};
function TextDecoderFallback() {}
TextDecoderFallback.prototype.decode = decode;

if (typeof globalThis.TextEncoder !== 'function') globalThis.TextEncoder = TextEncoderFallback;
if (typeof globalThis.TextDecoder !== 'function') globalThis.TextDecoder = TextDecoderFallback;
