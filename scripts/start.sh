#!/usr/bin/env bash
# npm start: makes the machine ready, builds the package, and runs the demo (an example auth
# server and a page that shows the refresh queue at work) on 127.0.0.1:$PORT until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec node examples/server/main.mjs
