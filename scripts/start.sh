#!/usr/bin/env bash
# npm start: makes the machine ready, builds the package, and shows how to use it.
# (The interactive demo server arrives with the demo work; until then this builds pkg/.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node --input-type=module -e "
import { decodeJwt } from './pkg/esm/index.js';
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIiwibmFtZSI6Ikpvc8OpIn0.sig';
console.log('decodeJwt(token) ->', decodeJwt(token));
console.log('\nThe package is built in pkg/. Use it from another project with:');
console.log('  npm install $PWD/pkg');
"
