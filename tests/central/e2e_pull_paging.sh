# Paging the feed: limit 2 over 5 changes gives 2, 2, 1 with next and more right; the same
# page asked twice is byte-for-byte the same.
. "$(dirname "$0")/lib.sh"
seed   # change 1: C1 created by xa1
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" \
	"$(op create "$AG1-240414-0002" "$(dossier "$AG1-240414-0002" "$AG1")")" \
	"$(op patch "$C1" '{"summary":"a"}' 1)" "$(op patch "$C1" '{"summary":"b"}' 2)" \
	"$(op transition "$AG1-240414-0002" '{"to":4}' 1)"
push "$T1" "$WORK/b.z"
expect_status 200
http GET "/v1/pull?since=0&limit=2" "$T1"
cp "$WORK/resp.z" "$WORK/page1.z"
same "page 1 cursors" "$(resp changes | python3 -c 'import json,sys; print([c["cursor"] for c in json.load(sys.stdin)])')" "[1, 2]"
same "page 1 next" "$(resp next)" 2
same "page 1 more" "$(resp more)" True
http GET "/v1/pull?since=0&limit=2" "$T1"
cmp -s "$WORK/resp.z" "$WORK/page1.z" && pass || fail "the same page twice should be identical bytes"
http GET "/v1/pull?since=2&limit=2" "$T1"
same "page 2 cursors" "$(resp changes | python3 -c 'import json,sys; print([c["cursor"] for c in json.load(sys.stdin)])')" "[3, 4]"
same "page 2 more" "$(resp more)" True
http GET "/v1/pull?since=4&limit=2" "$T1"
same "page 3 cursors" "$(resp changes | python3 -c 'import json,sys; print([c["cursor"] for c in json.load(sys.stdin)])')" "[5]"
same "page 3 next" "$(resp next)" 5
same "page 3 more" "$(resp more)" False
http GET "/v1/pull?since=5&limit=2" "$T1"
same "past the end" "$(resp changes),$(resp next),$(resp more)" "[],5,False"
health_ok
finish
