// Bundles the React Native entries into one file per format: `authlane/react-native` (the JS shell
// with wasm.js swapped for wasm.rn.js: the core as wasm2js), `authlane/verify` (verify-entry.js
// with verify-wasm.js swapped for verify-wasm.rn.js: the verification module as wasm2js and as wasm
// bytes, picked at load) and `authlane/dpop` (the core with DPoP and the signer as wasm2js), then
// Babel's class transform (Hermes 0.12 has no `class`).
import { build } from 'esbuild';
import { transformAsync } from '@babel/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * wasm2js grows memory by swapping in a new ArrayBuffer without detaching the old one, but the
 * wasm-bindgen glue renews its cached views only when the old buffer is detached: after a grow
 * it would read and write strings through a stale view (empty messages, options read as zeros).
 * Renew the views whenever the buffer changed. Fails loudly if the glue no longer looks so.
 */
export function fixMemoryViews(glue) {
  const views = /(cached\w+Memory0) === null \|\| \1\.byteLength === 0/g;
  const dataView = /(cachedDataViewMemory0) === null \|\| \1\.buffer\.detached === true \|\| \(\1\.buffer\.detached === undefined && \1\.buffer !== wasm\.memory\.buffer\)/g;
  let count = 0;
  const fixed = glue
    .replace(views, (m, v) => (count++, `${v} === null || ${v}.buffer !== wasm.memory.buffer`))
    .replace(dataView, (m, v) => (count++, `${v} === null || ${v}.buffer !== wasm.memory.buffer`));
  if (!/getUint8ArrayMemory0\(\) \{\s*if \(cachedUint8ArrayMemory0 === null \|\| cachedUint8ArrayMemory0\.buffer !== wasm\.memory\.buffer\)/.test(fixed) || count < 2) {
    throw new Error('bundle-rn: the wasm-bindgen glue changed; re-check the memory view fix for wasm2js');
  }
  return fixed;
}

/**
 * wasm2js writes a module that instantiates itself on evaluation and exports each function as
 * `export var f = retasmFunc.f`. Turn it into `export function instantiate()` returning those
 * exports, so the module costs nothing unless chosen (wasm-instance.rn.js). (Not esbuild's lazy require:
 * its getters rely on per-iteration `let` bindings, which Hermes 0.12 lacks.)
 */
export function lazyWasm2js(code) {
  const imports = code.match(/^import .*$/gm) || [];
  let exported = 0;
  const body = code
    .replace(/^import .*$/gm, '')
    .replace(/^export var \w+ = retasmFunc\.\w+;$/gm, () => (exported++, ''));
  if (exported === 0 || !/^var retasmFunc = asmFunc\(/m.test(body) || /^export /m.test(body)) {
    throw new Error('bundle-rn: the wasm2js output changed shape; re-check lazyWasm2js');
  }
  return `${imports.join('\n')}\nexport function instantiate() {\n${body}\nreturn retasmFunc;\n}\n`;
}

export async function bundleReactNative(root, outDir) {
  const at = (...p) => join(root, ...p);
  const swap = {
    name: 'authlane-rn',
    setup(b) {
      const alias = {
        './wasm.js': 'js/wasm.rn.js',
        './verify-wasm.js': 'js/verify-wasm.rn.js',
        './dpop-load.js': 'js/dpop-load.rn.js',
        'authlane-rn-wasm2js': 'build/rn/module.js',
        'authlane-rn-dpop-core': 'build/rn-dpop-core/module.js',
        'authlane-rn-dpop-signer': 'build/rn-dpop-signer/module.js',
        'authlane-rn-verify-glue': 'build/rn-verify/verify_bg.js',
        'authlane-rn-verify-wasm2js': 'build/rn-verify/verify_bg.wasm.js',
        'authlane-rn-verify-wasm-base64': 'build/rn-verify/verify_bg.wasm.base64.js',
      };
      b.onResolve({ filter: /^(\.\/(verify-)?wasm\.js|\.\/dpop-load\.js|authlane-rn-[\w-]+)$/ }, (args) => ({ path: at(alias[args.path]) }));
      b.onLoad({ filter: /build\/rn-verify\/\w+_bg\.js$/ }, (args) => ({ contents: fixMemoryViews(readFileSync(args.path, 'utf8')), loader: 'js' }));
      b.onLoad({ filter: /build\/(rn-verify\/\w+_bg\.wasm|rn-dpop-\w+\/module)\.js$/ }, (args) => ({ contents: lazyWasm2js(readFileSync(args.path, 'utf8')), loader: 'js' }));
    },
  };
  // authlane/react-native (rn/index.*), authlane/verify (rn/verify.*) and authlane/dpop
  // (rn/dpop.*, under every condition: engines with WebCrypto need no import), each one file per
  // format.
  const bundles = [
    ['js/react-native.js', 'esm', 'index.js'],
    ['js/react-native.js', 'cjs', 'index.cjs'],
    ['js/verify-entry.js', 'esm', 'verify.js'],
    ['js/verify-entry.js', 'cjs', 'verify.cjs'],
    ['js/dpop-entry.rn.js', 'esm', 'dpop.js'],
    ['js/dpop-entry.rn.js', 'cjs', 'dpop.cjs'],
  ];
  for (const [entry, format, file] of bundles) {
    const out = join(outDir, file);
    await build({
      entryPoints: [at(entry)],
      bundle: true,
      format,
      target: 'es2016', // Hermes 0.12 compiles generators, not async functions
      outfile: out,
      plugins: [swap],
      logLevel: 'error',
      legalComments: 'none',
    });
    const { code } = await transformAsync(readFileSync(out, 'utf8'), {
      babelrc: false,
      configFile: false,
      sourceType: format === 'esm' ? 'module' : 'script',
      plugins: ['@babel/plugin-transform-classes'],
      compact: false,
    });
    // An entry run for its effect (authlane/dpop) exports nothing: say it is a module, or
    // publint and Node's loader take the ESM file for CommonJS.
    const esm = format === 'esm' && !/^export /m.test(code) ? `${code}\nexport {};\n` : code;
    writeFileSync(out, esm);
  }
}
