# A push with a token central never issued (well-formed, and malformed): 401; nothing changes.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "dst1.0badc0de.00000000000000000000000000000000" "$WORK/b.z"
expect_status 401
expect_error "unknown or revoked token"
push "not-a-token" "$WORK/b.z"
expect_status 401
expect_error "malformed token"
# the right id with a wrong secret
push "${T1%.*}.ffffffffffffffffffffffffffffffff" "$WORK/b.z"
expect_status 401
unchanged
health_ok
finish
