#!/usr/bin/env bash
# Runs every test: setup, Rust lint and native tests, the fuzz smoke, the package build, and the
# JS tests of the built package (Node, Chromium, the other runtimes, real servers, bundlers and
# frameworks, the simulations of the shell that ships). Ends with a summary line and fails when
# any part fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "test: setup failed"; exit 1; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

passed=0 failed=0 failures=()
part() {
  local name=$1; shift
  printf '\n=== %s\n' "$name"
  if "$@"; then passed=$((passed + 1)); return 0; fi
  failed=$((failed + 1)); failures+=("$name"); return 1
}

part "cargo fmt" cargo fmt --all --check
part "clippy (wasm32)" cargo clippy --workspace --target wasm32-unknown-unknown -- -D warnings
part "clippy (native, with tests and DPoP)" cargo clippy --workspace --all-targets --all-features -- -D warnings
part "cargo test (native)" cargo test --workspace
part "cargo test (native, the core with DPoP)" cargo test -p authlane-core --features dpop
part "fuzz smoke (10 s a target; npm run fuzz runs longer)" bash scripts/fuzz.sh 10
if part "build pkg/" bash scripts/build.sh && part "install pkg tarball" bash scripts/install-pkg.sh; then
  part "package tests (Node)" node --test --test-timeout=60000 --import ./tests/support/token-scan.mjs tests/js/
  part "package lint (publint, @arethetypeswrong/cli)" node --test --test-timeout=60000 tests/package-lint/
  part "integrations (axios, React 18/19, TanStack Query, AppState)" node --test --test-timeout=60000 --import ./tests/support/token-scan.mjs tests/integrations/
  part "runtimes (one scenario in Firefox, WebKit, Chromium, module workers, Node 18/20, Deno, Bun, JavaScriptCore)" node --test --test-concurrency=2 --test-timeout=120000 --import ./tests/support/token-scan.mjs tests/runtimes/
  part "package tests (headless Chromium)" node --test --test-timeout=60000 --import ./tests/support/token-scan.mjs tests/browser/
  part "backends (oidc-provider, cookie server)" node --test --test-timeout=60000 --import ./tests/support/token-scan.mjs tests/backends/
  part "bundler apps (Vite 7/8, webpack, Parcel, esbuild, Rollup in Chromium; Metro)" node --test --test-timeout=180000 --import ./tests/support/token-scan.mjs tests/bundlers/bundlers.test.mjs
  part "framework apps (Next.js with Turbopack and webpack, next dev, Expo web and Android, Vite SSR in Chromium)" node --test --test-timeout=300000 --import ./tests/support/token-scan.mjs tests/frameworks/frameworks.test.mjs
  part "simulations (the package's shell and wasm in a seeded world: main and tabs, 2,000 seeds each; npm run sim runs 10,000)" node tests/sim/run.mjs --seeds 2000
  part "benchmarks still run (smoke, numbers not kept)" node benches/run.mjs --smoke
fi

printf '\n'
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ]
