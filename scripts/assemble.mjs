// Assembles pkg/ from wasm-pack's output (build/), js/ and pkg-template/, and prints sizes.
// The JS shell goes out in four copies that differ only in their wasm loader (js/wasm*.js):
// esm/ (browser bundlers: fetches the .wasm files by `new URL`), inline/ (servers, Metro on the
// web, the `authlane-inline` condition: the bytes inlined as base64), edge/ (edge runtimes: a
// `.wasm?module` import the platform compiles), cjs/ (require: the bytes inlined too). rn/ is
// one bundle per entry (bundle-rn.mjs). Which condition picks which copy: the exports map of
// pkg-template/package.json.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { bundleReactNative } from './bundle-rn.mjs';

const root = new URL('..', import.meta.url).pathname;
const at = (...p) => join(root, ...p);
const pkg = at('pkg');

rmSync(pkg, { recursive: true, force: true });
for (const dir of ['esm', 'inline', 'edge', 'cjs/glue', 'rn', 'wasm', 'types']) mkdirSync(join(pkg, dir), { recursive: true });

cpSync(at('pkg-template'), pkg, { recursive: true });
cpSync(at('LICENSE'), join(pkg, 'LICENSE'));

// The core module has no glue (js/core.js binds its exports); verifyJwt's has wasm-bindgen's.
const modules = [
  ['core', 'authlane', false],
  ['core', 'authlane_dpop', false],
  ['verify', 'verify', true],
];
for (const [dir, name, hasGlue] of modules) {
  cpSync(at('build', dir, `${name}_bg.wasm`), join(pkg, 'wasm', `${name}_bg.wasm`));
  if (hasGlue) {
    const glue = readFileSync(at('build', dir, `${name}.js`), 'utf8');
    writeFileSync(join(pkg, 'wasm', `${name}.js`), glue);
    writeFileSync(join(pkg, 'cjs', 'glue', `${name}.js`), toCjs(inlineGlue(glue, `${name}_bg.wasm`), `${name}.js`));
    writeFileSync(join(pkg, 'inline', `${name}_glue.js`), inlineGlue(glue, `${name}_bg.wasm`));
  }
  // The bytes as base64, once per module system: inline/ (ESM) and cjs/ (CommonJS, which cannot
  // require an ES module in Node 18).
  const base64 = readFileSync(at('build', dir, `${name}_bg.wasm`)).toString('base64');
  writeFileSync(join(pkg, 'inline', `${name}_bg.wasm.js`), `// ${name}_bg.wasm, base64 (see wasm.js)\nexport default '${base64}';\n`);
  writeFileSync(join(pkg, 'cjs', `${name}_bg.wasm.js`), `// ${name}_bg.wasm, base64 (see wasm.js)\nmodule.exports = '${base64}';\n`);
}

// Loaders for one copy each, named there without the copy's suffix (wasm.edge.js → edge/wasm.js);
// every other .js file goes to all three ESM copies.
const copies = ['esm', 'inline', 'edge'];
const loaders = {
  'wasm.js': 'esm', 'wasm.inline.js': 'inline', 'wasm.edge.js': 'edge',
  'verify-wasm.js': 'esm', 'verify-wasm.inline.js': 'inline', 'verify-wasm.edge.js': 'edge',
  'dpop-wasm.js': 'esm', 'dpop-wasm.inline.js': 'inline', 'dpop-wasm.edge.js': 'edge',
};

for (const file of readdirSync(at('js'))) {
  const source = readFileSync(at('js', file), 'utf8');
  if (file.endsWith('.rn.js')) continue; // only in the React Native bundle
  if (loaders[file]) {
    writeFileSync(join(pkg, loaders[file], file.replace(/\.(inline|edge)\.js$/, '.js')), source);
  } else if (file.endsWith('.cjs')) {
    writeFileSync(join(pkg, 'cjs', file.replace(/\.cjs$/, '.js')), source);
  } else if (file.endsWith('.js')) {
    for (const copy of copies) writeFileSync(join(pkg, copy, file), source);
    if (!readdirSync(at('js')).includes(file.replace(/\.js$/, '.cjs'))) {
      writeFileSync(join(pkg, 'cjs', file), toCjs(source, file));
    }
  } else if (file.endsWith('.d.ts')) {
    writeFileSync(join(pkg, 'types', file), source);
    writeFileSync(join(pkg, 'types', file.replace(/\.d\.ts$/, '.d.cts')), toCjsTypes(source));
  }
}
writeFileSync(join(pkg, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
completeTypes(join(pkg, 'package.json'));
await bundleReactNative(root, join(pkg, 'rn'));
writeSubpathFolders();

/**
 * A folder per subpath export (authlane/redux → redux/package.json) naming its files in the
 * classic fields, for resolvers that do not read `exports`: Parcel at its defaults, older tools.
 * `browser` is the inline build (no top-level await), as for the package's own `browser` field.
 */
function writeSubpathFolders() {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const pick = (entry, ...path) => path.reduce((at, key) => (at && typeof at === 'object' ? at[key] : undefined), entry);
  for (const [subpath, entry] of Object.entries(manifest.exports)) {
    if (subpath === '.' || typeof entry !== 'object' || !/^\.\/[\w-]+$/.test(subpath)) continue;
    const name = subpath.slice(2);
    const up = (file) => file && '../' + file.replace(/^\.\//, '');
    const fields = {
      main: up(pick(entry, 'require') ?? pick(entry, 'default')),
      module: up(pick(entry, 'import')),
      browser: up(pick(entry, 'authlane-inline')),
      'react-native': up(pick(entry, 'react-native')),
      types: up(typeof entry.types === 'object' ? pick(entry, 'types', 'import') : pick(entry, 'types')),
    };
    mkdirSync(join(pkg, name), { recursive: true });
    writeFileSync(join(pkg, name, 'package.json'), JSON.stringify(fields, null, 2) + '\n');
    if (!manifest.files.includes(name)) manifest.files.push(name);
  }
  writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * The glue for inline/ and cjs/ (edge/ imports inline/'s), whose loaders hand initSync the module
 * bytes or a compiled module, with two changes:
 * - its default init's `new URL('<name>', import.meta.url)` is never used there and would make
 *   esbuild warn about import.meta in iife output, and server bundlers emit an asset for it;
 * - initSync compiles what is not `instanceof WebAssembly.Module`, which a module compiled in
 *   another realm is not: Next.js's edge sandbox hands over `.wasm?module` imports compiled in
 *   Node's realm (wasm.edge.js), and the edge forbids compiling from bytes. The test becomes
 *   the module's brand, which every realm's modules share.
 */
function inlineGlue(glue, wasmName) {
  const changes = [
    [`new URL('${wasmName}', import.meta.url)`, `(() => { throw new Error('authlane: the inline build passes the module bytes'); })()`],
    ['if (!(module instanceof WebAssembly.Module)) {', "if (Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {"],
  ];
  for (const [from, to] of changes) {
    if (glue.split(from).length !== 2) throw new Error(`assemble: the wasm-bindgen glue for ${wasmName} changed; re-check inlineGlue (${from})`);
    glue = glue.replace(from, to);
  }
  if (/import\.meta/.test(glue)) throw new Error(`assemble: the wasm-bindgen glue for ${wasmName} has another import.meta; re-check inlineGlue`);
  return glue;
}

function toCjs(source, name) {
  return transformSync(source, {
    format: 'cjs',
    target: 'es2019',
    sourcefile: name,
    logLevel: 'error',
  }).code;
}

// The package is "type": "module", so types/X.d.ts declares an ES module. A CommonJS consumer
// (TypeScript's node16/nodenext resolution from a .cts file or a "type": "commonjs" project) must
// get a declaration file that TypeScript reads as CommonJS, or every entry "masquerades as ESM":
// types/X.d.cts, the same declarations with relative imports pointing at the .cjs siblings.
function toCjsTypes(source) {
  return source.replace(/(\b(?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*)\.js(['"])/g, '$1$2.cjs$3');
}

// Makes every entry of "exports" serve both declaration flavours and resolve under node10 too, so
// an entry added with a plain `"types": "./types/X.d.ts"` needs no more than that:
// - a string `types` condition becomes { import: X.d.ts, require: X.d.cts };
// - each subpath with types gets a typesVersions mapping (node10 ignores "exports").
function completeTypes(file) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const versions = ((manifest.typesVersions ??= {})['*'] ??= {});
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (target === null || typeof target !== 'object' || !('types' in target)) continue;
    if (typeof target.types === 'string') {
      const { types: esm, ...runtime } = target;
      if (!esm.endsWith('.d.ts')) throw new Error(`exports["${subpath}"].types should name a .d.ts file`);
      // `types` stays the first condition, as TypeScript requires.
      manifest.exports[subpath] = { types: { import: esm, require: esm.replace(/\.d\.ts$/, '.d.cts') }, ...runtime };
    }
    const name = subpath.replace(/^\.\/?/, '');
    if (name !== '' && !(name in versions)) versions[name] = [manifest.exports[subpath].types.import];
  }
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const sizes = [...modules.map(([, name]) => `wasm/${name}_bg.wasm`), 'rn/index.js', 'rn/verify.js', 'rn/dpop.js'];
for (const file of sizes) {
  const bytes = readFileSync(join(pkg, file));
  console.log(`${file}: ${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip -9`);
}
