# The same batch bytes posted twice: the second answer is the stored receipts
# ("duplicate", same versions) and nothing is applied twice.
. "$(dirname "$0")/lib.sh"
seed
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"một"}' 1)" \
	"$(op transition "$C1" '{"to":4}' 2)" "$(op patch "$C1" '{"summary":"hai"}' 1)"
push "$T1" "$WORK/b.z"
expect_status 200
same "first: applied" "$(resp receipts.0.result),$(resp receipts.0.version)" applied,2
same "first: applied" "$(resp receipts.1.result),$(resp receipts.1.version)" applied,3
same "first: conflict" "$(resp receipts.2.result),$(resp receipts.2.version)" conflict,3
AFTER=$(snapshot)
http GET "/v1/pull?since=0" "$T1"
feed1=$(resp changes)
push "$T1" "$WORK/b.z"
expect_status 200
same "again: duplicate" "$(resp receipts.0.result),$(resp receipts.0.version)" duplicate,2
same "again: duplicate" "$(resp receipts.1.result),$(resp receipts.1.version)" duplicate,3
same "again: conflict" "$(resp receipts.2.result),$(resp receipts.2.version)" conflict,3
same "again: conflict state" "$(resp receipts.2.state.status)" 4
same "versions unchanged" "$(snapshot)" "$AFTER"
http GET "/v1/pull?since=0" "$T1"
same "feed unchanged" "$(resp changes)" "$feed1"
health_ok
finish
