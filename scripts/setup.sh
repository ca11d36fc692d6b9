#!/usr/bin/env bash
# Makes a fresh machine ready to build and test authlane; skips every step already done.
# Everything comes from the package registries (crates.io, Debian, npm): nothing downloads a
# prebuilt binary from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-pack test and build need wasm-bindgen-cli at exactly the version in Cargo.lock; otherwise
# wasm-pack installs its own copy into its cache on every fresh machine.
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes)"
  cargo install wasm-bindgen-cli --version "=$want" --locked
fi
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (a few minutes)"
  cargo install wasm-pack --version =0.15.1 --locked
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian's chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.authlane-lock-sha
sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$sha" > "$stamp"
fi
