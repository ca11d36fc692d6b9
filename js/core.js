// The other side of the wasm module's boundary (src/lib.rs): numbers go into the 8 f64s at
// nums(), text into one buffer in linear memory, and each call's answer (UTF-8, mostly JSON) comes
// back in that buffer. The same code runs over a WebAssembly instance's exports and over wasm2js's
// (React Native's Hermes has no WebAssembly).

/** Event kinds, as src/lib.rs reads them. */
export const IN = {
  start: 0, request: 1, response: 2, judged: 3, gone: 4, accepted: 5, dated: 6, refreshed: 7,
  loaded: 8, saved: 9, locked: 10, timer: 11, message: 12, login: 13, logout: 14, revoked: 15,
  accessToken: 16, refresh: 17, autoRefresh: 18, dispose: 19, key: 20, signed: 21, proof: 22,
  online: 23,
};

/** Binds the module's exports. */
export function bind(exports) {
  const { memory } = exports;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let bytes = null;
  let numbers = null;
  let room = 1024;
  let at = exports.buf(room);
  const views = () => {
    if (bytes === null || bytes.buffer !== memory.buffer) {
      bytes = new Uint8Array(memory.buffer);
      numbers = new Float64Array(memory.buffer, exports.nums(), 8);
    }
  };
  /** Writes `text` into the buffer; returns its length in bytes. */
  const put = (text) => {
    if (text.length * 3 > room) {
      room = text.length * 3;
      at = exports.buf(room);
    }
    views();
    return encoder.encodeInto(text, bytes.subarray(at, at + room)).written;
  };
  /** The answer of `n` bytes (negative: the buffer moved). */
  const answer = (n) => {
    if (n < 0) {
      n = -n;
      at = exports.buf(0);
      room = Math.max(room, n);
    }
    views();
    return decoder.decode(bytes.subarray(at, at + n));
  };
  const set = (values) => {
    views();
    for (let i = 0; i < values.length; i++) numbers[i] = values[i];
  };
  return {
    /** `{ handle, facts }` or `{ error }`. */
    create(record, seed) {
      const n = put(record);
      set([seed]);
      return JSON.parse(answer(exports.client_new(n)));
    },
    /** One event; the effects to perform, their last item the time to be called back at. */
    handle(handle, kind, values, text) {
      const n = text === undefined ? 0 : put(text);
      set(values);
      return JSON.parse(answer(exports.client_handle(handle, kind, n)));
    },
    session: (handle) => JSON.parse(answer(exports.client_session(handle))),
    resolve: (handle, url) => answer(exports.client_resolve(handle, put(url))) || undefined,
    allows: (handle, url) => exports.client_allows(handle, put(url)) === 1,
    free: (handle) => exports.client_free(handle),
    /** decodeJwt: `[true, jsonText]` or `[false, error]`. */
    decode(token, header) {
      const text = answer(typeof token === 'string' ? exports.decode_jwt(put(token), header ? 1 : 0) : exports.decode_jwt(0, 2));
      return text[0] === '1' ? [true, text.slice(1)] : [false, JSON.parse(text.slice(1))];
    },
    /** Linear memory in bytes (benchmarks and leak checks; not public API). */
    memoryBytes: () => memory.buffer.byteLength,
  };
}
