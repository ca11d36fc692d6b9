#!/usr/bin/env bash
# The React Native build: the same Rust core as plain JavaScript (wasm2js), for Hermes and other
# engines without WebAssembly, and as wasm bytes for engines with it (js/core.rn.js picks one at
# load). Writes to build/rn/ the glue (bundler style), authlane_bg.wasm.js (the module as JS) and
# authlane_bg.wasm.base64.js (the same module's bytes). See TOOLCHAIN.md for why each step is there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
out="$PWD/build/rn"
target="$PWD/target/rn"
rm -rf "$out" && mkdir -p "$out"

# 1. No reference types: wasm2js supports one table only.
RUSTFLAGS="-C target-feature=-reference-types" \
  cargo build --quiet --release --target wasm32-unknown-unknown --target-dir "$target" -p authlane
raw="$target/wasm32-unknown-unknown/release/authlane.wasm"
# 2. Otherwise wasm-bindgen sees the features section and enables externref.
wasm-opt --strip-target-features "$raw" -o "$out/stripped.wasm"
# 3. Bundler-style glue: the module is imported, so a JS module can stand in for it.
wasm-bindgen --target bundler --out-dir "$out" --out-name authlane "$out/stripped.wasm"
# 4. Lower what wasm2js cannot express (binaryen 132's passes).
wasm-opt --enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --llvm-memory-copy-fill-lowering --llvm-nontrapping-fptoint-lowering \
  --signext-lowering -Oz "$out/authlane_bg.wasm" -o "$out/lowered.wasm"
# 5. The module as JavaScript.
wasm2js -Oz "$out/lowered.wasm" -o "$out/authlane_bg.wasm.js"
# 6. The same module as bytes, for engines that have WebAssembly after all.
printf 'export default "%s";\n' "$(base64 -w0 "$out/lowered.wasm")" >"$out/authlane_bg.wasm.base64.js"
rm -f "$out/stripped.wasm" "$out/lowered.wasm" "$out/authlane_bg.wasm"
