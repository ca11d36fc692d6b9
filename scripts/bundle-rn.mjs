// Bundles the React Native entry into one file per format: the JS shell with wasm.js swapped for
// wasm.rn.js, the wasm2js core, then Babel's class transform (Hermes 0.12 has no `class`).
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

export async function bundleReactNative(root, outDir) {
  const at = (...p) => join(root, ...p);
  const swap = {
    name: 'authlane-rn',
    setup(b) {
      b.onResolve({ filter: /^\.\/wasm\.js$/ }, () => ({ path: at('js/wasm.rn.js') }));
      b.onResolve({ filter: /^authlane-rn-glue$/ }, () => ({ path: at('build/rn/authlane.js') }));
      b.onResolve({ filter: /authlane_bg\.wasm$/ }, () => ({ path: at('build/rn/authlane_bg.wasm.js') }));
      b.onLoad({ filter: /build\/rn\/authlane_bg\.js$/ }, (args) => ({ contents: fixMemoryViews(readFileSync(args.path, 'utf8')), loader: 'js' }));
    },
  };
  for (const [format, file] of [['esm', 'index.js'], ['cjs', 'index.cjs']]) {
    const out = join(outDir, file);
    await build({
      entryPoints: [at('js/react-native.js')],
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
    writeFileSync(out, code);
  }
}
