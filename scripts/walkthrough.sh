#!/usr/bin/env bash
# The README walkthrough, run as written: a dev node, a regulator issues a
# credit score, the citizen imports it and proves "score >= 700" locally, the
# bank verifies, and a replayed presentation is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bin zkreg
zkreg() { ./target/release/zkreg "$@"; }

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
node="http://127.0.0.1:$port"
zkreg dev --dir "$work/zkreg-dev" --listen "127.0.0.1:$port" > "$work/dev.log" 2>&1 &
dev_pid=$!
trap 'kill $dev_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do
  grep -q "verifying key registered" "$work/dev.log" && break
  kill -0 $dev_pid 2>/dev/null || { cat "$work/dev.log"; exit 1; }
  sleep 1
done
grep -q "verifying key registered" "$work/dev.log" || { cat "$work/dev.log"; echo "dev node did not come up"; exit 1; }
d="$work/zkreg-dev"

holder=$(zkreg wallet show --wallet "$d/citizen.wallet.json" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["holder_id"])')
zkreg issue --node "$node" --key "$d/central-bank.key" --issuer central-bank --schema credit-score --holder "$holder" --value 720 --out "$d/credit.json"
zkreg wallet import --wallet "$d/citizen.wallet.json" "$d/credit.json"
zkreg request --node "$node" --key "$d/bank.key" --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out "$d/request.json"
zkreg prove --node "$node" --wallet "$d/citizen.wallet.json" --keys "$d/keys" --request "$d/request.json" --out "$d/presentation.json"
zkreg verify --node "$node" --key "$d/bank.key" --presentation "$d/presentation.json"
if zkreg verify --node "$node" --key "$d/bank.key" --presentation "$d/presentation.json" 2> "$work/replay.err"; then
  echo "a replayed presentation was accepted" >&2
  exit 1
fi
grep -q challenge_replayed "$work/replay.err"
echo "walkthrough: 1 passed, 0 failed"
