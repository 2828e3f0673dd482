# A node belongs to the first token that pushed for it: another token gets 403, and
# nobody may push as "central".
. "$(dirname "$0")/lib.sh"
seed
T1b=$(token_add "$AG1")
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1b" "$WORK/b.z"
expect_status 403
expect_error "bound to another token"
mkpush central 1 - "$WORK/c.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/c.z"
expect_status 403
unchanged
health_ok
finish
