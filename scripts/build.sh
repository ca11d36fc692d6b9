#!/usr/bin/env bash
# Builds the npm package into pkg/: both wasm modules (wasm-pack, wasm-opt -Oz from npm's
# binaryen 132), the JS shell as ESM and CommonJS, types and manifest. Prints module sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

case "$(command -v wasm-opt)" in
  "$PWD/node_modules/.bin/wasm-opt") ;;
  *) echo "build: npm's binaryen is missing (run npm run setup)" >&2; exit 1 ;;
esac

wasm_pack() { wasm-pack --quiet build --release --target web --no-pack "$@"; }
wasm_pack --out-dir "$PWD/build/core" --out-name authlane .
wasm_pack --out-dir "$PWD/build/verify" --out-name verify crates/verify
node scripts/short-names.mjs build/core/authlane_bg.wasm build/core/authlane.js
node scripts/short-names.mjs build/verify/verify_bg.wasm build/verify/verify.js

bash scripts/build-rn.sh
node scripts/assemble.mjs
