# The operator's tools on the running server's store, on both engines: token rotate keeps
# the node's line (old and new token push as it), revoke ends the old one; the node's last
# contact and pull lag are written and listed by `nodes`; /metrics reads the feed head and
# the nodes without a database error.
. "$(dirname "$0")/lib.sh"
seed
old=$(echo "$T1" | cut -d. -f2)
T2=$("$CENTRAL" token rotate "$old" | tail -1)
same "rotate exit" "$?" 0
new=$(echo "$T2" | cut -d. -f2)
[[ "$T2" == dst1.*.* ]] && [ "$new" != "$old" ] && pass || fail "rotate printed '$T2'"
same "the node moved to the new token" "$("$CENTRAL" nodes --json | jget 0.token)" "$new"
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T2" "$WORK/b.z"
expect_status 200
same "the new token pushes as xa1" "$(resp receipts.0.result)" applied
"$CENTRAL" token revoke "$old" >/dev/null
same "revoke exit" "$?" 0
http GET "/v1/pull?since=0&limit=10" "$T1"
expect_status 401
"$CENTRAL" token rotate "$old" >/dev/null 2>"$WORK/rot.err"
same "rotate a revoked token" "$?" 65
contains "rotate's error" "$(cat "$WORK/rot.err")" "is revoked"

# a pull that ends one change short: xa1 is 1 behind once the contact is written
http GET "/v1/pull?since=0&limit=1&node=xa1" "$T2"
expect_status 200
behind() { [ "$("$CENTRAL" nodes --json | jget 0.pull_behind)" = 1 ]; }
wait_for "xa1's pull lag is written" 10 behind
"$CENTRAL" nodes --json >"$WORK/nodes.json"
same "last seq" "$(jget 0.last_seq <"$WORK/nodes.json")" 2
same "pull cursor" "$(jget 0.pull_cursor <"$WORK/nodes.json")" 1
[[ "$(jget 0.last_contact <"$WORK/nodes.json")" == 20*+07:00 ]] && pass ||
	fail "xa1 has no last contact: $(cat "$WORK/nodes.json")"

P=$(token_add "$AG1" province)
curl -s -H "Authorization: Bearer $P" "$URL/metrics" >"$WORK/metrics"
contains "feed head" "$(cat "$WORK/metrics")" "dossync_central_feed_head 2"
contains "no database error" "$(cat "$WORK/metrics")" "dossync_central_db_errors_total 0"
health_ok
finish
