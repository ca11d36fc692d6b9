// Rollup needs node-resolve to use any npm package; authlane asks for one more plugin, which
// emits the files named by `new URL('…', import.meta.url)` (its .wasm files).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { importMetaAssets } from '@web/rollup-plugin-import-meta-assets';

export default { input: 'main.js', output: { dir: 'dist', format: 'es' }, plugins: [nodeResolve(), importMetaAssets()] };
