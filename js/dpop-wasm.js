// Loads the core module with DPoP (authlane_dpop_bg.wasm) in browsers, for a client with `dpop`:
// wasm.js's loadDpopCore imports this on such a client's creation, so a page without DPoP never
// fetches it. The other copies: dpop-wasm.inline.js, .edge.js, .cjs (as for wasm.js); React
// Native's is authlane/dpop's (wasm.rn.js).
import { bind } from './core.js';
import { fetchWasm } from './fetch-wasm.js';

const response = await fetchWasm(new URL('../wasm/authlane_dpop_bg.wasm', import.meta.url));
const { instance } = response.headers.get('content-type') === 'application/wasm' && typeof WebAssembly.instantiateStreaming === 'function'
  ? await WebAssembly.instantiateStreaming(response, {})
  : await WebAssembly.instantiate(await response.arrayBuffer(), {});

/** The core with DPoP, ready. */
export const core = bind(instance.exports);
