#!/usr/bin/env bash
# The React Native build: the Rust modules as plain JavaScript (wasm2js), for Hermes and other
# engines without WebAssembly. The core (build/rn/module.js) has no imports and no glue: js/core.js
# binds its exports; so have the core with DPoP and the DPoP signer (build/rn-dpop-*/module.js,
# for `authlane/dpop`). verifyJwt's module (build/rn-verify/) keeps its wasm-bindgen glue
# (bundler style) and its bytes too (<name>_bg.wasm.base64.js), for engines that have WebAssembly
# (js/verify-wasm.rn.js picks). `build-rn.sh verify` builds only the second. See TOOLCHAIN.md for
# why each step is there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target="$PWD/target/rn"
. scripts/nightly.env

# rn_module <cargo package> <its .wasm file name> <out name> <out dir>
rn_module() {
  local package=$1 raw="$target/wasm32-unknown-unknown/release/$2.wasm" name=$3 out=$4
  rm -rf "$out" && mkdir -p "$out"
  # 1. No reference types: wasm2js supports one table only.
  RUSTFLAGS="-C target-feature=-reference-types" \
    cargo build --quiet --release --target wasm32-unknown-unknown --target-dir "$target" -p "$package"
  # 2. Otherwise wasm-bindgen sees the features section and enables externref.
  wasm-opt --strip-target-features "$raw" -o "$out/stripped.wasm"
  # 3. Bundler-style glue: the module is imported, so a JS module can stand in for it.
  wasm-bindgen --target bundler --out-dir "$out" --out-name "$name" "$out/stripped.wasm"
  # 3b. Import and export names without their hashes (short-names.mjs says why).
  node scripts/short-names.mjs "$out/${name}_bg.wasm" "$out/${name}_bg.js" "$out/${name}.js"
  # 4. Lower what wasm2js cannot express (binaryen 132's passes).
  wasm-opt --enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --llvm-memory-copy-fill-lowering --llvm-nontrapping-fptoint-lowering \
    --signext-lowering -Oz "$out/${name}_bg.wasm" -o "$out/lowered.wasm"
  # 5. The module as JavaScript.
  wasm2js -Oz "$out/lowered.wasm" -o "$out/${name}_bg.wasm.js"
  # 6. The same module as bytes, for engines that have WebAssembly after all.
  printf 'export default "%s";\n' "$(base64 -w0 "$out/lowered.wasm")" >"$out/${name}_bg.wasm.base64.js"
  rm -f "$out/stripped.wasm" "$out/lowered.wasm" "$out/${name}_bg.wasm"
}

# The lowering wasm2js needs (binaryen 132's passes).
lower() {
  wasm-opt --enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --llvm-memory-copy-fill-lowering --llvm-nontrapping-fptoint-lowering \
    --signext-lowering -Oz "$1" -o "$2"
}

# rn_raw <cargo package> <its .wasm file name> <features> <out dir>: a module with no glue (the
# core, with or without DPoP, and the DPoP signer; js/core.js and js/dpop-signer.rn.js bind their
# exports), as <out dir>/module.js.
rn_raw() {
  local package=$1 raw="$target/nightly/wasm32-unknown-unknown/release/$2.wasm" features=$3 out=$4
  rm -rf "$out" && mkdir -p "$out"
  # The pinned nightly, as scripts/build.sh builds the web modules (std built with them).
  RUSTFLAGS="-C target-feature=-reference-types -Zunstable-options -Cpanic=immediate-abort" \
    cargo "+$NIGHTLY" build --quiet --release --target wasm32-unknown-unknown --target-dir "$target/nightly" \
    -Zbuild-std=std,panic_abort -p "$package" --features "$features"
  lower "$raw" "$out/lowered.wasm"
  wasm2js -Oz "$out/lowered.wasm" -o "$out/module.js"
  rm -f "$out/lowered.wasm"
}

modules=("$@")
[ $# -gt 0 ] || modules=(core verify dpop)
for module in "${modules[@]}"; do
  case "$module" in
    core) rn_raw authlane authlane "" "$PWD/build/rn" ;;
    verify) rn_module authlane-verify authlane_verify verify "$PWD/build/rn-verify" ;;
    dpop)
      rn_raw authlane authlane dpop "$PWD/build/rn-dpop-core"
      rn_raw authlane-dpop authlane_dpop "" "$PWD/build/rn-dpop-signer"
      ;;
    *) echo "build-rn: unknown module $module (core, verify or dpop)" >&2; exit 1 ;;
  esac
done
