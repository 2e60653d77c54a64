#!/usr/bin/env bash
# Runs every zkreg test. Installs the pinned snarkjs (tools/package-lock.json)
# so that the interoperability test runs against the real `snarkjs groth16
# verify` instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is required for the snarkjs interoperability test (apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --prefix tools --no-audit --no-fund --loglevel=error
export ZKREG_REQUIRE_SNARKJS=1
cargo test --workspace --locked
