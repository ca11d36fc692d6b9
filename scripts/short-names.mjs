// Drops the hashes from wasm-bindgen's import and export names (`__wbg_then_e3f7f2d365708be8`
// becomes `__wbg_then`, or `__wbg_then2` when the name is taken) in a .wasm file and in the glue
// files that name them. Each name is in the module once and in its glue once, and the 16 hex
// digits of each hash do not compress: 1.7 KB of gzip over the module and its glue.
//
//   node scripts/short-names.mjs <module.wasm> <glue.js> [<glue.js> ...]
//
// Rewrites the files in place. A glue file that does not name every renamed import or export is
// an error: the module would then fail to link, which a build should say, not a user's app.
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, ...gluePaths] = process.argv.slice(2);
if (!wasmPath || gluePaths.length === 0) {
  console.error('usage: node scripts/short-names.mjs <module.wasm> <glue.js> [<glue.js> ...]');
  process.exit(2);
}

const HASHED = /^(.*)_[0-9a-f]{16}$/;
const bytes = readFileSync(wasmPath);
const renamed = new Map();
const taken = new Set();

/** The module's sections, with the names of imports (2) and exports (7) rewritten. */
function rewrite(module) {
  if (module.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath}: not a wasm module`);
  const out = [module.subarray(0, 8)];
  for (const [id, body] of sections(module)) {
    out.push(Buffer.from([id]));
    const next = id === 2 ? imports(body) : id === 7 ? exports(body) : body;
    out.push(leb(next.length), next);
  }
  return Buffer.concat(out);
}

function* sections(module) {
  let at = 8;
  while (at < module.length) {
    const id = module[at];
    const [size, from] = readLeb(module, at + 1);
    yield [id, module.subarray(from, from + size)];
    at = from + size;
  }
}

function imports(body) {
  const r = reader(body);
  const out = [];
  const count = r.leb();
  out.push(leb(count));
  for (let i = 0; i < count; i++) {
    const module = r.name();
    const field = r.name();
    const kind = r.byte();
    out.push(name(module), name(short(field)), Buffer.from([kind]));
    if (kind === 0) out.push(r.raw(() => r.leb())); // function: type index
    else if (kind === 1) out.push(r.raw(() => (r.byte(), r.limits()))); // table
    else if (kind === 2) out.push(r.raw(() => r.limits())); // memory
    else if (kind === 3) out.push(r.raw(() => (r.byte(), r.byte()))); // global: type, mutability
    else throw new Error(`${wasmPath}: import kind ${kind} unknown`);
  }
  return Buffer.concat(out);
}

function exports(body) {
  const r = reader(body);
  const out = [];
  const count = r.leb();
  out.push(leb(count));
  for (let i = 0; i < count; i++) {
    const field = r.name();
    const kind = r.byte();
    out.push(name(short(field)), Buffer.from([kind]), r.raw(() => r.leb()));
  }
  return Buffer.concat(out);
}

/** `field` without its hash, once per distinct field. */
function short(field) {
  const m = HASHED.exec(field);
  if (!m) {
    taken.add(field);
    return field;
  }
  if (renamed.has(field)) return renamed.get(field);
  let candidate = m[1];
  for (let n = 2; taken.has(candidate); n++) candidate = `${m[1]}_${n}`;
  taken.add(candidate);
  renamed.set(field, candidate);
  return candidate;
}

function reader(body) {
  let at = 0;
  const r = {
    byte: () => body[at++],
    leb: () => {
      const [value, next] = readLeb(body, at);
      at = next;
      return value;
    },
    name: () => {
      const length = r.leb();
      const text = body.subarray(at, at + length).toString('utf8');
      at += length;
      return text;
    },
    limits: () => {
      const flags = r.leb();
      r.leb();
      if (flags & 1) r.leb();
    },
    raw: (skip) => {
      const from = at;
      skip();
      return body.subarray(from, at);
    },
  };
  return r;
}

function readLeb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, at];
  }
}

function leb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Buffer.from(out);
}

function name(text) {
  const b = Buffer.from(text, 'utf8');
  return Buffer.concat([leb(b.length), b]);
}

// Names taken by unhashed fields first, so a stripped name never collides with one of them.
for (const [id, body] of sections(bytes)) {
  if (id !== 2 && id !== 7) continue;
  const r = reader(body);
  const count = r.leb();
  for (let i = 0; i < count; i++) {
    if (id === 2) r.name();
    const field = r.name();
    if (!HASHED.test(field)) taken.add(field);
    const kind = r.byte();
    if (id === 7 || kind === 0) r.leb();
    else if (kind === 1) (r.byte(), r.limits());
    else if (kind === 2) r.limits();
    else (r.byte(), r.byte());
  }
}

// And every identifier of the glue's own, so a stripped name never shadows one of them.
const glues = gluePaths.map((path) => readFileSync(path, 'utf8'));
for (const text of glues) {
  for (const [word] of text.matchAll(/[\w$]+/g)) if (!HASHED.test(word)) taken.add(word);
}

const module = rewrite(bytes);
const unused = new Set(renamed.keys());
for (const [i, path] of gluePaths.entries()) {
  let text = glues[i];
  for (const [long, brief] of renamed) {
    if (text.includes(long)) unused.delete(long);
    text = text.replaceAll(long, brief);
  }
  writeFileSync(path, text);
}
if (unused.size > 0) {
  console.error(`short-names: ${[...unused].join(', ')} not in ${gluePaths.join(', ')}`);
  process.exit(1);
}
writeFileSync(wasmPath, module);
