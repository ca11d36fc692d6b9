// createAuthClient's options as the core reads them (crates/core/src/options.rs): a JSON image in
// which a function is {"\u0000":"function"}, a number JSON cannot hold {"\u0000":"number"}, and an
// object that is not a plain one (localStorage, a class instance) {"\u0000":"object", ...} with
// its methods only, never its contents. The core decides what is valid.

const MARK = '\u0000';
const FUNCTION = { [MARK]: 'function' };
const DEPTH = 6;

/** The methods of a non-plain object, own and inherited (not Object.prototype's). */
function methods(object) {
  const out = { [MARK]: 'object' };
  for (let o = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name in out || name === 'constructor') continue;
      try {
        if (typeof object[name] === 'function') out[name] = FUNCTION;
      } catch {
        // a getter that throws: not a method
      }
    }
  }
  return out;
}

/** The JSON image of `value`; a value that throws when looked at (a revoked Proxy) is "other". */
export function describe(value, depth = 0) {
  try {
    return image(value, depth);
  } catch {
    return { [MARK]: 'other' };
  }
}

function image(value, depth) {
  switch (typeof value) {
    case 'function':
      return FUNCTION;
    case 'number':
      return Number.isFinite(value) ? value : { [MARK]: 'number' };
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return undefined;
    case 'object': {
      if (value === null) return null;
      if (depth >= DEPTH) return { [MARK]: 'object' };
      if (Array.isArray(value)) return value.slice(0, 1000).map((v) => describe(v, depth + 1) ?? null);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return methods(value);
      const out = {};
      for (const key of Object.keys(value)) {
        let v;
        try {
          v = value[key];
        } catch {
          continue;
        }
        const d = describe(v, depth + 1);
        if (d !== undefined) out[key] = d;
      }
      return out;
    }
    default:
      return { [MARK]: 'other' };
  }
}
