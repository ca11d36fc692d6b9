// Assembles pkg/ from wasm-pack's output (build/), js/ and pkg-template/, and prints sizes.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { bundleReactNative } from './bundle-rn.mjs';

const root = new URL('..', import.meta.url).pathname;
const at = (...p) => join(root, ...p);
const pkg = at('pkg');

rmSync(pkg, { recursive: true, force: true });
for (const dir of ['esm', 'cjs/glue', 'rn', 'wasm', 'types']) mkdirSync(join(pkg, dir), { recursive: true });

cpSync(at('pkg-template'), pkg, { recursive: true });

const modules = [
  ['core', 'authlane'],
  ['verify', 'verify'],
];
for (const [dir, name] of modules) {
  cpSync(at('build', dir, `${name}_bg.wasm`), join(pkg, 'wasm', `${name}_bg.wasm`));
  const glue = readFileSync(at('build', dir, `${name}.js`), 'utf8');
  writeFileSync(join(pkg, 'wasm', `${name}.js`), glue);
  writeFileSync(join(pkg, 'cjs', 'glue', `${name}.js`), toCjs(glue, `${name}.js`));
}

for (const file of readdirSync(at('js'))) {
  const source = readFileSync(at('js', file), 'utf8');
  if (file.endsWith('.rn.js')) continue; // only in the React Native bundle
  if (file.endsWith('.cjs')) {
    writeFileSync(join(pkg, 'cjs', file.replace(/\.cjs$/, '.js')), source);
  } else if (file.endsWith('.js')) {
    writeFileSync(join(pkg, 'esm', file), source);
    if (!readdirSync(at('js')).includes(file.replace(/\.js$/, '.cjs'))) {
      writeFileSync(join(pkg, 'cjs', file), toCjs(source, file));
    }
  } else if (file.endsWith('.d.ts')) {
    writeFileSync(join(pkg, 'types', file), source);
  }
}
writeFileSync(join(pkg, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
await bundleReactNative(root, join(pkg, 'rn'));

function toCjs(source, name) {
  return transformSync(source, {
    format: 'cjs',
    target: 'es2019',
    sourcefile: name,
    logLevel: 'error',
  }).code;
}

const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const sizes = [...modules.map(([, name]) => `wasm/${name}_bg.wasm`), 'rn/index.js'];
for (const file of sizes) {
  const bytes = readFileSync(join(pkg, file));
  console.log(`${file}: ${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip -9`);
}
