#!/usr/bin/env bash
# Builds the npm package into pkg/: the core modules (cargo, then wasm-opt -Oz from npm's binaryen
# 132; one without DPoP, one with it), verifyJwt's module (wasm-pack), the React Native build
# (build-rn.sh), the JS shell as ESM and CommonJS, types and manifest (assemble.mjs). Prints module
# sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

case "$(command -v wasm-opt)" in
  "$PWD/node_modules/.bin/wasm-opt") ;;
  *) echo "build: npm's binaryen is missing (run npm run setup)" >&2; exit 1 ;;
esac

# The core: no wasm-bindgen, no imports; its exports are the boundary js/core.js binds.
# `--converge` runs -Oz until it stops shrinking; memory starts zeroed, and the producers and
# target-features sections are metadata no engine reads.
# Built with the pinned nightly (scripts/nightly.env): std compiled with the module and panics
# that abort at once (no panic machinery, no core::fmt of its messages): 3 KB gzip less than
# stable's build (TOOLCHAIN.md).
mkdir -p build/core
. scripts/nightly.env
# core_module <features> <out name>: the module without DPoP (every client's) and the one with it
# (loaded only for a client with `dpop`; its signer is WebCrypto, or authlane/dpop's in React
# Native).
core_module() {
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" cargo "+$NIGHTLY" build --quiet --release \
    --target wasm32-unknown-unknown --target-dir target/nightly -Zbuild-std=std,panic_abort -p authlane --features "$1"
  wasm-opt -Oz --converge --zero-filled-memory --strip-debug --strip-producers --strip-target-features \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    target/nightly/wasm32-unknown-unknown/release/authlane.wasm -o "build/core/$2_bg.wasm"
}
core_module "" authlane
core_module dpop authlane_dpop

wasm-pack --quiet build --release --target web --no-pack --out-dir "$PWD/build/verify" --out-name verify crates/verify
node scripts/short-names.mjs build/verify/verify_bg.wasm build/verify/verify.js

bash scripts/build-rn.sh
node scripts/assemble.mjs
