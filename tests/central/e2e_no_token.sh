# A push without a token: 401 before the body is read; nothing changes.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "" "$WORK/b.z"
expect_status 401
expect_error "missing token"
http GET "/v1/pull?since=0" ""
expect_status 401
unchanged
health_ok
finish
