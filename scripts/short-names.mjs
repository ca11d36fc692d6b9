// Drops the hashes from wasm-bindgen's import and export names (`__wbg_then_e3f7f2d365708be8`
// becomes `__wbg_then`, or `__wbg_then_2` when the name is taken) in a .wasm file and in the glue
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
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath}: not a wasm module`);

// The module's sections; the import (2) and export (7) sections as their entries.
const sections = [...sectionsOf(bytes)].map(([id, body]) => ({ id, body, entries: id === 2 ? imports(body) : id === 7 ? exports(body) : null }));
const entries = sections.flatMap((section) => section.entries ?? []);

// A stripped name must not be any other field's name, nor an identifier of the glue's own.
const glues = gluePaths.map((path) => readFileSync(path, 'utf8'));
const taken = new Set(entries.map((e) => e.field).filter((field) => !HASHED.test(field)));
for (const text of glues) for (const [word] of text.matchAll(/[\w$]+/g)) if (!HASHED.test(word)) taken.add(word);
const renamed = new Map();
for (const { field } of entries) {
  const m = HASHED.exec(field);
  if (!m || renamed.has(field)) continue;
  let brief = m[1];
  for (let n = 2; taken.has(brief); n++) brief = `${m[1]}_${n}`;
  taken.add(brief);
  renamed.set(field, brief);
}

const module = Buffer.concat([bytes.subarray(0, 8), ...sections.flatMap(({ id, body, entries: list }) => {
  const next = list ? Buffer.concat([leb(list.length), ...list.map((e) => Buffer.concat([
    e.module === undefined ? Buffer.alloc(0) : name(e.module), name(renamed.get(e.field) ?? e.field), e.rest,
  ]))]) : body;
  return [Buffer.from([id]), leb(next.length), next];
})]);

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

function* sectionsOf(module) {
  let at = 8;
  while (at < module.length) {
    const id = module[at];
    const [size, from] = readLeb(module, at + 1);
    yield [id, module.subarray(from, from + size)];
    at = from + size;
  }
}

/** An import section's entries: module and field names, and the rest (kind and type) as bytes. */
function imports(body) {
  const r = reader(body);
  return Array.from({ length: r.leb() }, () => {
    const module = r.name();
    const field = r.name();
    const rest = r.raw(() => {
      const kind = r.byte();
      if (kind === 0) r.leb(); // function: type index
      else if (kind === 1) (r.byte(), r.limits()); // table
      else if (kind === 2) r.limits(); // memory
      else if (kind === 3) (r.byte(), r.byte()); // global: type, mutability
      else throw new Error(`${wasmPath}: import kind ${kind} unknown`);
    });
    return { module, field, rest };
  });
}

/** An export section's entries: the field name, and the rest (kind and index) as bytes. */
function exports(body) {
  const r = reader(body);
  return Array.from({ length: r.leb() }, () => {
    const field = r.name();
    return { field, rest: r.raw(() => (r.byte(), r.leb())) };
  });
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
