# Pulling as a node (GET /v1/pull?...&node=N): N's own changes come without their state
# and the page carries own_sha256 over the stored state bytes (each + "\n") of those
# changes in cursor order; other nodes' changes keep their state; without node= the feed
# is unchanged; a bad node is refused with 400.
. "$(dirname "$0")/lib.sh"
seed # change 1: C1 created by xa1
C2=$AG1-240414-0002
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" \
	"$(op create "$C2" "$(dossier "$C2" "$AG1")")" "$(op patch "$C1" '{"summary":"a"}' 1)"
push "$T1" "$WORK/b.z"
expect_status 200
mkpush xa2 1 - "$WORK/c.z" "$(op patch "$C1" '{"summary":"b"}' 2)"
push "$T1" "$WORK/c.z"
expect_status 200

# Which changes of the page carry a state: "cursor:node:state|-" for each.
shape() { resp changes | python3 -c '
import json, sys
print(" ".join("%d:%s:%s" % (c["cursor"], c["node"], "state" if "state" in c else "-")
               for c in json.load(sys.stdin)))'; }
# sha256 over the feed states of node $1 after cursor $2, at most $3 rows, each + "\n".
own_of() {
	sql_rows "SELECT node, state FROM feed WHERE cursor > $2 ORDER BY cursor LIMIT $3" |
		python3 -c '
import hashlib, sys
h = hashlib.sha256()
for line in sys.stdin.buffer.read().split(b"\n"):
    if not line:
        continue
    n, s = line.split(b"\x1f", 1)
    if n.decode() == sys.argv[1]:
        h.update(s + b"\n")
print(h.hexdigest())' "$1"
}

http GET "/v1/pull?since=0&limit=10" "$T1"
expect_status 200
same "without node: every change has its state" "$(shape)" "1:xa1:state 2:xa1:state 3:xa1:state 4:xa2:state"
same "without node: no own_sha256" "$(python3 -c 'import json,sys; print("own_sha256" in json.load(sys.stdin))' <"$WORK/resp.json")" False
cp "$WORK/resp.z" "$WORK/plain.z"

http GET "/v1/pull?since=0&limit=10&node=xa1" "$T1"
expect_status 200
same "node=xa1: its own changes without state" "$(shape)" "1:xa1:- 2:xa1:- 3:xa1:- 4:xa2:state"
same "node=xa1: own_sha256 over central's stored bytes" "$(resp own_sha256)" "$(own_of xa1 0 10)"
same "node=xa1: next and more as without node" "$(resp next),$(resp more)" "4,False"

http GET "/v1/pull?since=1&limit=2&node=xa1" "$T1"
same "a page: own_sha256 covers only its own changes" "$(shape) $(resp own_sha256)" \
	"2:xa1:- 3:xa1:- $(own_of xa1 1 2)"

http GET "/v1/pull?since=0&limit=10&node=xa2" "$T1"
same "node=xa2" "$(shape)" "1:xa1:state 2:xa1:state 3:xa1:state 4:xa2:-"
same "node=xa2: own_sha256" "$(resp own_sha256)" "$(own_of xa2 0 10)"

http GET "/v1/pull?since=0&limit=10&node=zz9" "$T1"
expect_status 200
same "a node with no changes: every state" "$(shape)" "1:xa1:state 2:xa1:state 3:xa1:state 4:xa2:state"
# the same page as without node, plus central's head of zz9 (none: 0)
same "node=zz9: node_seq" "$(resp node_seq)" 0
strip_head() { "$DSWIRE" decode <"$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("node_seq"); d.pop("node_hash"); print(json.dumps(d, sort_keys=True))'; }
same "node=zz9 gives the page without node" "$(strip_head "$WORK/resp.z")" "$("$DSWIRE" decode <"$WORK/plain.z" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')"

for bad in "" "a%20b" "x%2Fy" "%C3%A9" "$(printf 'n%.0s' $(seq 65))"; do
	http GET "/v1/pull?since=0&limit=10&node=$bad" "$T1"
	same "node=\"$bad\" refused" "$STATUS" 400
	expect_error "node: must be 1 to 64"
done
http GET "/v1/pull?since=0&limit=10&node=$(printf 'n%.0s' $(seq 64))" "$T1"
same "a 64-character node is fine" "$STATUS" 200
health_ok
finish
