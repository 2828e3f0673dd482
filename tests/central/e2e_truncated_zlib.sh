# A push body cut short: 400 "truncated"; nothing changes.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/ok.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
size=$(stat -c %s "$WORK/ok.z")
head -c $((size / 2)) "$WORK/ok.z" >"$WORK/b.z"
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "truncated"
unchanged
health_ok
finish
