# A transition that breaks the legal moves (2 -> 10): rejected with the reason.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op transition "$C1" '{"to":10}' 1)"
push "$T1" "$WORK/b.z"
expect_status 200
same "receipt" "$(resp receipts.0.result)" rejected
contains "reason" "$(resp receipts.0.reason)" "illegal status move 2 -> 10"
unchanged
health_ok
finish
