// Vercel's edge runtime refuses to compile WebAssembly from bytes (code generation, like eval);
// the sandbox of `next start` and `next dev` allows it. Imported first by the edge route handler
// and the middleware, this makes the sandbox as strict: only a module compiled ahead of time (a
// `.wasm?module` import) may be instantiated.
const wasm = globalThis.WebAssembly;
const refuse = (what) => () => {
  throw new EvalError(`${what}: WebAssembly code generation from bytes is not allowed on the edge`);
};
// A module compiled by Next.js in another realm is not `instanceof` this realm's Module.
const isModule = (x) => Object.prototype.toString.call(x) === '[object WebAssembly.Module]';
const { instantiate } = wasm;
wasm.Module = new Proxy(wasm.Module, { construct: refuse('new WebAssembly.Module') });
wasm.compile = refuse('WebAssembly.compile');
wasm.compileStreaming = refuse('WebAssembly.compileStreaming');
wasm.instantiateStreaming = refuse('WebAssembly.instantiateStreaming');
wasm.instantiate = (source, imports) =>
  isModule(source) ? instantiate.call(wasm, source, imports) : Promise.reject(refuse('WebAssembly.instantiate')());
