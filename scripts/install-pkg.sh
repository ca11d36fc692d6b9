#!/usr/bin/env bash
# Packs pkg/ with npm pack and unpacks the tarball as tests/node_modules/authlane, so the tests
# import 'authlane' exactly as a user's project would after `npm install`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
rm -f build/authlane-*.tgz
(cd pkg && npm pack --silent --pack-destination ../build >/dev/null)
rm -rf tests/node_modules/authlane
mkdir -p tests/node_modules/authlane
tar -xzf build/authlane-*.tgz -C tests/node_modules/authlane --strip-components=1
echo "installed $(ls build/authlane-*.tgz) into tests/node_modules/authlane"
