#!/usr/bin/env bash
# central_ops.sh: the operator's view of a running central (issue 14). Three offices'
# nodes sync; then GET /metrics (parsed by prom.py, which checks the format) counts their
# requests, ops and push latency and shows the feed head and each node's last seq, last
# contact and pull lag; it needs a province token on the main address and none on
# --metrics-listen. Every request has an access line, --log-level warn drops them, and
# `dossync-central nodes` lists what the server saw of each node. /v1/health answers
# plain JSON unless the client accepts deflate, and 503 when the database fails.
BIN=$1
. "$(dirname "$0")/lib.sh"
PROM="python3 $(dirname "$0")/prom.py"
C="$BIN/dossync-central"
AG1=000.00.12.H22
AG2=000.00.34.H22
DB="$WORK/central.db"
"$C" --db "$DB" init >/dev/null
"$C" --db "$DB" token add --office $AG1 --node a --node b >"$WORK/tok1"
"$C" --db "$DB" token add --office $AG2 >"$WORK/tok2"
"$C" --db "$DB" token add --office 000.00.00.H22 --role province >"$WORK/ptok"
MPORT=$(free_port)
central_start "$DB" --metrics-listen "127.0.0.1:$MPORT"
MURL="http://127.0.0.1:$MPORT/metrics"

office_init "$WORK/a" $AG1 a "$WORK/tok1"
office_init "$WORK/b" $AG1 b "$WORK/tok1"
office_init "$WORK/c" $AG2 c "$WORK/tok2"
"$BIN/dossync" -d "$WORK/a" create "$E2E_DATA/birth.json" >/dev/null
"$BIN/dossync" -d "$WORK/a" create "$E2E_DATA/residence.json" >/dev/null
sed "s/$AG1/$AG2/g" "$E2E_DATA/birth.json" >"$WORK/birth2.json"
"$BIN/dossync" -d "$WORK/c" create "$WORK/birth2.json" >/dev/null
for o in a b c; do
	expect 0 "office $o syncs" -- "$BIN/dossync" -d "$WORK/$o" sync
done
# One request refused for its token, one pull page that leaves one change behind, and
# one bad pull that node a is answered 400 for.
curl -s -o /dev/null -X POST -H "Authorization: Bearer dst1.00000000.00000000000000000000000000000000" \
	--data-binary x "$CENTRAL_URL/v1/push"
curl -s -o /dev/null -H "Authorization: Bearer $(cat "$WORK/tok1")" \
	"$CENTRAL_URL/v1/pull?since=0&limit=1&node=b"
curl -s -o /dev/null -H "Authorization: Bearer $(cat "$WORK/tok1")" \
	"$CENTRAL_URL/v1/pull?since=0&limit=0&node=a"

# metric NAME{LABELS}: its value in the last parsed scrape ("absent" when missing).
metric() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print("absent" if v is None else int(v) if v == int(v) else v)' \
		"$WORK/m.json" "$1"
}
scrape() { # scrape URL [curl options]: parses into m.json; sets SCRAPE to the status
	local url=$1
	shift
	SCRAPE=$(curl -s -o "$WORK/m.txt" -w '%{http_code}' "$@" "$url")
	echo '{}' >"$WORK/m.json"
	[ "$SCRAPE" = 200 ] || return 0
	$PROM <"$WORK/m.txt" >"$WORK/m.json" || { fail "unparsable metrics: $(cat "$WORK/m.json")"; echo '{}' >"$WORK/m.json"; }
}
# The contacts reach the database within about a second.
for i in $(seq 1 50); do
	scrape "$MURL"
	[ "$(metric 'dossync_central_node_pull_behind{node=b,office=000.00.12.H22}')" = 1 ] && break
	sleep 0.1
done
same "metrics listener answers" "$SCRAPE" 200
same "pushes answered 200" "$(metric 'dossync_central_requests_total{endpoint=/v1/push,status=200}')" 2
same "bad token counted" "$(metric 'dossync_central_requests_total{endpoint=/v1/push,status=401}')" 1
same "bad pull counted" "$(metric 'dossync_central_requests_total{endpoint=/v1/pull,status=400}')" 1
same "ops applied" "$(metric 'dossync_central_ops_total{result=applied}')" 3
same "ops rejected" "$(metric 'dossync_central_ops_total{result=rejected}')" 0
same "push latency count" "$(metric 'dossync_central_push_duration_seconds_count{}')" 2
same "push latency +Inf" "$(metric 'dossync_central_push_duration_seconds_bucket{le=+Inf}')" 2
same "feed head" "$(metric 'dossync_central_feed_head{}')" 3
same "last seq of a" "$(metric 'dossync_central_node_last_seq{node=a,office=000.00.12.H22}')" 2
same "last seq of b" "$(metric 'dossync_central_node_last_seq{node=b,office=000.00.12.H22}')" 0
same "last seq of c" "$(metric 'dossync_central_node_last_seq{node=c,office=000.00.34.H22}')" 1
same "b's last pull left one change" \
	"$(metric 'dossync_central_node_pull_behind{node=b,office=000.00.12.H22}')" 1
same "c's last pull left none" "$(metric 'dossync_central_node_pull_behind{node=c,office=000.00.34.H22}')" 0
same "no database errors" "$(metric 'dossync_central_db_errors_total{}')" 0
NOW=$(date +%s)
for o in 000.00.12.H22 000.00.34.H22; do
	t=$(metric "dossync_central_office_last_contact_timestamp_seconds{office=$o}")
	if [ "$t" != absent ] && [ $((NOW - ${t%.*})) -lt 60 ]; then pass; else
		fail "office $o last contact: $t (now $NOW)"; fi
done

# The main address: a province token only.
scrape "$CENTRAL_URL/metrics"
same "metrics without a token" "$SCRAPE" 401
scrape "$CENTRAL_URL/metrics" -H "Authorization: Bearer $(cat "$WORK/tok1")"
same "metrics with an office token" "$SCRAPE" 403
scrape "$CENTRAL_URL/metrics" -H "Authorization: Bearer $(cat "$WORK/ptok")"
same "metrics with a province token" "$SCRAPE" 200
same "same feed head there" "$(metric 'dossync_central_feed_head{}')" 3
same "metrics listener serves nothing else" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/v1/health")" 404

# Health: plain JSON, or deflate on request.
same "health, plain" "$(curl -s "$CENTRAL_URL/v1/health")" '{"ok":true,"v":3}'
H=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: deflate' "$CENTRAL_URL/v1/health" | tr -d '\r')
[[ "$H" == *"Content-Encoding: deflate"* ]] && pass || fail "health with Accept-Encoding: deflate: $H"

# The access lines: time, client, office, node, endpoint, status, bytes, ms.
grep -qE "^[0-9T:+-]+ info access 127\.0\.0\.1 office=$AG1 node=a /v1/push 200 in=[1-9][0-9]* out=[1-9][0-9]* ms=[0-9]+$" \
	"$WORK/central.log" && pass || fail "no access line for a's push: $(grep access "$WORK/central.log" | head -3)"
grep -q "office=- node=- /v1/push 401" "$WORK/central.log" && pass || fail "no access line for the 401"

central_stop
# What the server saw, written by the time it stopped.
expect 0 "nodes --json" -- "$C" --db "$DB" nodes --json
cp "$WORK/out" "$WORK/nodes.json"
same "three nodes" "$(jget "" <"$WORK/nodes.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
same "a's office" "$(jget 0.office <"$WORK/nodes.json")" $AG1
same "a's token" "$(jget 0.token <"$WORK/nodes.json")" "$(cut -d. -f2 "$WORK/tok1")"
same "a's last seq" "$(jget 0.last_seq <"$WORK/nodes.json")" 2
same "a's last error" "$(jget 0.last_error <"$WORK/nodes.json")" "400 limit: must be 1 to 5000"
same "b behind" "$(jget 1.pull_behind <"$WORK/nodes.json")" 1
same "c no error" "$(jget 2.last_error <"$WORK/nodes.json")" None
for i in 0 1 2; do
	[[ "$(jget $i.last_contact <"$WORK/nodes.json")" == 20*+07:00 ]] && pass || fail "node $i has no last contact"
done
expect 0 "nodes as a table" -- "$C" --db "$DB" nodes
expect_out "LAST-CONTACT"
expect_out "400 limit: must be 1 to 5000"

# --log-level warn: no access lines.
BEFORE=$(grep -c " access " "$WORK/central.log")
central_start "$DB" --log-level warn
curl -s -o /dev/null "$CENTRAL_URL/v1/health"
central_stop
same "no access line at warn" "$(grep -c " access " "$WORK/central.log")" "$BEFORE"
expect 64 "a bad log level" -- "$C" --db "$DB" serve --log-level loud

# A database central cannot read (here: a copy whose feed table went away behind its
# back): health answers 503 with the reason.
cp "$DB" "$WORK/broken.db"
central_start "$WORK/broken.db"
same "health before" "$(curl -s "$CENTRAL_URL/v1/health")" '{"ok":true,"v":3}'
sqlite3 "$WORK/broken.db" "ALTER TABLE feed RENAME TO feed_gone"
same "health of a broken database" \
	"$(curl -s -o "$WORK/h.json" -w '%{http_code}' "$CENTRAL_URL/v1/health")" 503
same "says why" "$(cat "$WORK/h.json")" \
	'{"ok":false,"v":3,"error":"reading the feed head: no such table: feed"}'
central_stop
grep -q "error health: reading the feed head" "$WORK/central.log" && pass || fail "health failure not logged"
finish
