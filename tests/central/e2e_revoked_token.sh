# A token revoked with `token revoke` is refused at once (401); nothing changes.
. "$(dirname "$0")/lib.sh"
seed
id=$(echo "$T1" | cut -d. -f2)
"$CENTRAL" token revoke "$id" >/dev/null
same "revoke exit" "$?" 0
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/b.z"
expect_status 401
expect_error "unknown or revoked token"
http GET "/v1/pull?since=0" "$T1"
expect_status 401
http GET "/v1/dossiers/$C1" "$T1"
expect_status 401
unchanged
health_ok
finish
