// The response for a .wasm file named by `new URL('…', import.meta.url)` (wasm.js, verify-wasm.js).

/**
 * Vite 7's dev server runs the loaders from node_modules/.vite/deps/, where the relative URL no
 * longer reaches the package (its server answers with index.html): there the file is asked for
 * in the package's own folder.
 */
export async function fetchWasm(url) {
  const response = await fetch(url);
  const moved = url.pathname.lastIndexOf('/.vite/');
  if (moved < 0 || response.headers.get('content-type') === 'application/wasm') return response;
  return fetch(new URL(url.pathname.slice(0, moved) + '/authlane/wasm/' + url.pathname.split('/').pop(), url));
}
