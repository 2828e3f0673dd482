# A batch that starts past the next seq central expects: 409 with expected_seq; nothing
# applied. Resent from expected_seq, it goes through.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 5 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/b.z"
expect_status 409
expect_error "journal gap"
same "expected_seq" "$(resp expected_seq)" 2
unchanged
health_ok
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/ok.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/ok.z"
expect_status 200
same "resent from expected_seq" "$(resp receipts.0.result)" applied
finish
