// Bundles the React Native entry into one file per format: the JS shell with wasm.js swapped for
// wasm.rn.js, the wasm2js core, then Babel's class transform (Hermes 0.12 has no `class`).
import { build } from 'esbuild';
import { transformAsync } from '@babel/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function bundleReactNative(root, outDir) {
  const at = (...p) => join(root, ...p);
  const swap = {
    name: 'authlane-rn',
    setup(b) {
      b.onResolve({ filter: /^\.\/wasm\.js$/ }, () => ({ path: at('js/wasm.rn.js') }));
      b.onResolve({ filter: /^authlane-rn-glue$/ }, () => ({ path: at('build/rn/authlane.js') }));
      b.onResolve({ filter: /authlane_bg\.wasm$/ }, () => ({ path: at('build/rn/authlane_bg.wasm.js') }));
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
