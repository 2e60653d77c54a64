#!/usr/bin/env bash
# The README walkthrough, run as written: a dev node; a regulator issues a
# credit score, the citizen imports it and proves "score >= 700" locally, the
# bank verifies, and a replayed presentation is refused; a food-business
# licence proved by class; the same threshold with Bulletproofs; revocation
# (a Bulletproofs presentation refused at once, a Groth16 one accepted within
# the root window, no new Groth16 proof possible).
#
# Each README command appears below exactly as in the README, in the same
# order (checked first), wrapped in `ok WANT` (must succeed and print WANT)
# or `refused WANT` (must fail with WANT in its error).
set -euo pipefail
cd "$(dirname "$0")/.."

# The README's commands, in order, must be this script's.
python3 - README.md scripts/walkthrough.sh <<'EOF'
import re, sys
readme, script = open(sys.argv[1]).read(), open(sys.argv[2]).read()
section = readme.split("\n## Walkthrough", 1)[1].split("\n## ", 1)[0]
lines = [l for block in re.findall(r"```sh\n(.*?)```", section, re.S) for l in block.splitlines()]
commands = [l for l in lines if l.strip() and not l.lstrip().startswith("#") and not l.startswith("d=zkreg-dev;")]
body = script.rsplit("# --- the walkthrough ---", 1)[1]
at = 0
for c in commands:
    found = body.find(c, at)
    if found < 0:
        sys.exit(f"walkthrough.sh does not run this README command (in this order):\n  {c}")
    at = found + len(c)
print(f"walkthrough: {len(commands)} README commands, all in this script in order")
EOF

cargo build --release --locked --bin zkreg
zkreg() { ./target/release/zkreg "$@"; }

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
node="http://127.0.0.1:$port"
# zkreg dev encrypts the citizen's wallet with its dev passphrase (exported
# below, as in the README) unless ZKREG_WALLET_PASSPHRASE is set.
unset ZKREG_WALLET_PASSPHRASE
# The binary itself, not the `zkreg` function: $! must be the node's pid (a
# backgrounded function is a subshell, and killing it would orphan the node).
./target/release/zkreg dev --dir "$work/zkreg-dev" --listen "127.0.0.1:$port" > "$work/dev.log" 2>&1 &
dev_pid=$!
passed=0
failed=0
finish() {
  local status=$?
  if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
  kill $dev_pid 2>/dev/null || true
  wait $dev_pid 2>/dev/null || true
  rm -rf "$work"
  echo "walkthrough: $passed passed, $failed failed"
}
trap finish EXIT
for _ in $(seq 1 300); do
  grep -q "verifying key registered" "$work/dev.log" && break
  kill -0 $dev_pid 2>/dev/null || { cat "$work/dev.log"; exit 1; }
  sleep 1
done
grep -q "verifying key registered" "$work/dev.log" || { cat "$work/dev.log"; echo "dev node did not come up"; exit 1; }
d="$work/zkreg-dev"

fail() {
  echo "FAILED: $1" >&2
  failed=$((failed + 1))
  exit 1
}
# ok WANT COMMAND...: the command succeeds and its output contains WANT.
ok() {
  local want=$1 out
  shift
  out=$("$@") || fail "$* (exit $?)"
  printf '%s\n' "$out"
  grep -qF -- "$want" <<< "$out" || fail "$*: expected \"$want\" in its output"
  passed=$((passed + 1))
}
# refused WANT COMMAND...: the command fails and its error contains WANT.
refused() {
  local want=$1
  shift
  if "$@" 2> "$work/refused.err"; then
    fail "$*: expected a refusal ($want), but it succeeded"
  fi
  cat "$work/refused.err"
  grep -qF -- "$want" "$work/refused.err" || fail "$*: expected \"$want\" in its error"
  passed=$((passed + 1))
}

# --- the walkthrough ---
export ZKREG_WALLET_PASSPHRASE=zkreg-dev-wallet
holder=$(zkreg wallet show --wallet $d/citizen.wallet.json --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["holder_id"])')
[[ $holder =~ ^0x[0-9a-f]{64}$ ]] || fail "holder id: $holder"
# The wallet file is encrypted: another passphrase does not open it.
ZKREG_WALLET_PASSPHRASE=not-the-passphrase refused "wrong passphrase for wallet" zkreg wallet show --wallet $d/citizen.wallet.json
ok "issued groth16 credential credit-score" zkreg issue --node $node --key $d/central-bank.key --issuer central-bank --schema credit-score --holder $holder --value 720 --out $d/credit.json
ok "imported groth16 credential credit-score" zkreg wallet import --wallet $d/citizen.wallet.json $d/credit.json
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out $d/request.json
ok "1 proof(s)" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/request.json --out $d/presentation.json
ok "verified: 1 predicate(s) hold; holder pseudonym 0x" zkreg verify --node $node --key $d/bank.key --presentation $d/presentation.json
refused challenge_replayed zkreg verify --node $node --key $d/bank.key --presentation $d/presentation.json

# Registered verifiers (beyond the README's commands): a key the ledger does
# not list may not ask as bank-a; once governance registers it as bank-b it
# may ask under its own name only; a wallet refuses a request that bank-a did
# not sign.
zkreg keys --out $d/stranger.key > /dev/null
refused forbidden zkreg request --node $node --key $d/stranger.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out $d/stranger-request.json
ok "RegisterVerifier" zkreg verifier register --node $node --key $d/authority.key --name bank-b --verifier-key $d/stranger.key
refused forbidden zkreg request --node $node --key $d/stranger.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out $d/stranger-request.json
ok "proof request written" zkreg request --node $node --key $d/stranger.key --verifier bank-b --scope bank-b/loans --schema credit-score --op '>=' --value 700 --out $d/bank-b-request.json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["signature"]; json.dump(r, open(sys.argv[2], "w"))' $d/bank-b-request.json $d/unsigned-request.json
refused "not signed" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/unsigned-request.json --out $d/unsigned-presentation.json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=json.load(open(sys.argv[2])); r["signature"]=s["signature"]; json.dump(r, open(sys.argv[3], "w"))' $d/bank-b-request.json $d/request.json $d/resigned-request.json
refused "does not verify" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/resigned-request.json --out $d/resigned-presentation.json

# A licence, proved by its class.
ok "issued groth16 credential licence.food-business" zkreg issue --node $node --key $d/central-bank.key --issuer central-bank --schema licence.food-business --holder $holder --value 2 --out $d/licence.json
ok "imported groth16 credential licence.food-business" zkreg wallet import --wallet $d/citizen.wallet.json $d/licence.json
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/merchants --schema licence.food-business --op '==' --value 2 --out $d/licence-request.json
ok "1 proof(s)" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/licence-request.json --out $d/licence-presentation.json
ok "verified: 1 predicate(s) hold; holder pseudonym 0x" zkreg verify --node $node --key $d/bank.key --presentation $d/licence-presentation.json

# The same threshold with Bulletproofs.
auth_key=$(zkreg wallet show --wallet $d/citizen.wallet.json --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth_key"])')
[[ $auth_key =~ ^[0-9a-f]{64}$ ]] || fail "authentication key: $auth_key"
ok "issued bulletproofs credential credit-score" zkreg issue --node $node --key $d/central-bank.key --issuer central-bank --schema credit-score --bulletproofs --holder-key $auth_key --value 720 --out $d/credit-bp.json
ok "imported bulletproofs credential credit-score" zkreg wallet import --wallet $d/citizen.wallet.json $d/credit-bp.json
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --bulletproofs --out $d/request-bp.json
ok "1 proof(s)" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/request-bp.json --out $d/presentation-bp.json
ok "verified: 1 predicate(s) hold (Bulletproofs: linkable" zkreg verify --node $node --key $d/bank.key --presentation $d/presentation-bp.json
grep -q '"backend": "bulletproofs"' $d/presentation-bp.json || fail "presentation-bp.json is not a Bulletproofs presentation"

# Revocation.
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out $d/request-2.json
ok "1 proof(s)" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/request-2.json --out $d/presentation-2.json
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --bulletproofs --out $d/request-bp-2.json
ok "1 proof(s)" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/request-bp-2.json --out $d/presentation-bp-2.json
cm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commitment"])' $d/credit.json)
cm_bp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commitment"])' $d/credit-bp.json)
ok "revoked" zkreg revoke --node $node --key $d/central-bank.key --commitment $cm
ok "revoked" zkreg revoke --node $node --key $d/central-bank.key --commitment $cm_bp
refused credential_revoked zkreg verify --node $node --key $d/bank.key --presentation $d/presentation-bp-2.json
ok "verified: 1 predicate(s) hold" zkreg verify --node $node --key $d/bank.key --presentation $d/presentation-2.json
ok "proof request written" zkreg request --node $node --key $d/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out $d/request-3.json
refused "no longer in the ledger's tree" zkreg prove --node $node --wallet $d/citizen.wallet.json --keys $d/keys --request $d/request-3.json --out $d/presentation-3.json
