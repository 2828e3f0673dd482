# Central SIGKILLed while offices push: restarted on the same database, it holds every
# change it acknowledged, and replaying the batches gives duplicates, never a second
# application. Then SIGTERM stops it cleanly (exit 0).
. "$(dirname "$0")/lib.sh"
start_central
T1=$(token_add "$AG1")
# 20 batches of 5 ops from node xa1, one dossier each, acknowledged one by one
prev=-
for b in $(seq 0 19); do
	code=$(printf '%s-240414-%04d' "$AG1" $((b + 1)))
	mkpush xa1 $((b * 5 + 1)) "$prev" "$WORK/b$b.z" "$(op create "$code" "$(dossier "$code" "$AG1")")" \
		"$(op patch "$code" '{"summary":"1"}' 1)" "$(op patch "$code" '{"summary":"2"}' 2)" \
		"$(op transition "$code" '{"to":4}' 3)" "$(op patch "$code" '{"summary":"3"}' 4)"
	prev=$(cat "$WORK/b$b.z.hash")
done
acked=0
for b in $(seq 0 19); do
	push "$T1" "$WORK/b$b.z"
	[ "$STATUS" = 200 ] || break
	acked=$((acked + 1))
	# kill in the middle of the run, right after an acknowledgement
	if [ "$b" = 11 ]; then
		kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=""
		break
	fi
done
same "batches acknowledged before the kill" "$acked" 12
start_central
same "dossiers kept" "$("$CENTRAL" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 12
same "versions kept" "$("$CENTRAL" list --json | python3 -c 'import json,sys; print(sorted({d["version"] for d in json.load(sys.stdin)}))')" "[5]"
before=$(snapshot)
# the office did not see every answer: it replays everything from the start
for b in $(seq 0 19); do
	push "$T1" "$WORK/b$b.z"
	same "replay of batch $b" "$STATUS" 200
	if [ "$b" -le 11 ]; then
		same "batch $b: duplicates" "$(resp receipts | python3 -c 'import json,sys; print(sorted({r["result"] for r in json.load(sys.stdin)}))')" "['duplicate']"
	else
		same "batch $b: applied" "$(resp receipts | python3 -c 'import json,sys; print(sorted({r["result"] for r in json.load(sys.stdin)}))')" "['applied']"
	fi
done
same "all dossiers at version 5" "$("$CENTRAL" list --json | python3 -c 'import json,sys; l=json.load(sys.stdin); print(len(l), sorted({d["version"] for d in l}))')" "20 [5]"
http GET "/v1/pull?since=0&limit=5000" "$T1"
same "feed: one row per applied op" "$(resp changes | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 100
same "the kept part unchanged" "$(snapshot | head -1 | cut -c1-40)" "$(echo "$before" | head -1 | cut -c1-40)"
if [ -z "$PG_DB" ]; then # PostgreSQL checks its own pages
	sqlite3 "$DOSSYNC_CENTRAL_DB" "PRAGMA integrity_check" >"$WORK/ic" 2>&1 || true
	same "integrity" "$(cat "$WORK/ic")" ok
fi
health_ok
stop_central
finish
