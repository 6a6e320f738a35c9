#!/usr/bin/env bash
# Copies examples/hello into a fresh git repository and runs its pipeline with Slipway.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
demo="$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")"
cp -R "$here/examples/hello/." "$demo/"
git -C "$demo" init -q -b main
git -C "$demo" -c user.name=demo -c user.email=demo@example.com add -A
git -C "$demo" -c user.name=demo -c user.email=demo@example.com -c commit.gpgsign=false commit -q -m "demo"
echo "Example repository: $demo"
node "$here/bin/slipway.js" run -C "$demo" --secret-file "$demo/.secrets" "$@"
