#!/usr/bin/env bash
# sync_inflight.sh: two pushes in flight, as a user meets them. Through dsproxy at 200 ms
# each way, `dossync sync` of a backlog uploads batch n+1 while central applies batch n (two
# connections): the round takes well under the 400 ms per request one at a time costs,
# and ends converged. Then, at 100 ms each way, the link drops every connection while a
# batch's answer is on its way and the next batch flies (the round fails, or libcurl sends
# the request again on a new connection and central answers "duplicate"), and a sync is
# killed (SIGKILL) at the same moment: the next sync gets the ops central holds without a
# receipt answered "duplicate", applies the rest, and converges, every op applied once on
# central.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
D=$WORK/office

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_office "$D" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "batch_bytes = 49152"
fl_import "$D" 600 7

# --- the overlap: every request costs 400 ms at least; one at a time, B batches cost B x 400
fl_ctl latency 200 >/dev/null
fl_ctl zero >/dev/null
T0=$(date +%s%N)
expect 0 "the backlog syncs over the far link" -- "$DS" -d "$D" sync --json
MS=$((($(date +%s%N) - T0) / 1000000))
cp "$WORK/out" "$WORK/s1.json"
same "pushed" "$(jget pushed <"$WORK/s1.json")" 600
same "applied" "$(jget applied <"$WORK/s1.json")" 600
BATCHES=$(jget batches <"$WORK/s1.json")
echo "$BATCHES batches in $MS ms at 400 ms a round trip"
[ "$BATCHES" -ge 8 ] && pass || fail "$BATCHES batches: too few to see an overlap"
# one at a time: (BATCHES + 1) x 400 ms at least (the pull is one more request)
[ "$MS" -lt $(((BATCHES + 1) * 320)) ] && pass ||
	fail "$BATCHES batches took $MS ms: the requests did not overlap (one at a time: $(((BATCHES + 1) * 400)) ms or more)"
same "two connections (two pushes in flight)" "$(fl_stat connections)" 2
fl_converged "$D" "$CDB"

# window DIR MIN: waits (60 s at most) until the office holds more than MIN receipts and
# central ops it has no receipt for; prints "held acked".
window() {
	python3 - "$CDB" "$1/agent.db" "$2" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
a = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True, timeout=5)
end = time.time() + 60
while time.time() < end:
    held = c.execute("SELECT count(*) FROM ops WHERE node = 'xa1'").fetchone()[0]
    acked = a.execute("SELECT count(*) FROM op_state").fetchone()[0]
    if held > acked and acked > int(sys.argv[3]):
        print(held, acked)
        break
    time.sleep(0.005)
PY
}

# resync TOTAL WHAT: the next sync answers duplicate what central held without a receipt,
# applies the rest, and the office converges.
resync() {
	local held stored prev=-1
	# a request that had reached the proxy may still land on central: wait until the
	# count holds still for half a second
	for _ in $(seq 20); do
		held=$(fl_node_ops "$CDB" xa1)
		[ "$held" = "$prev" ] && break
		prev=$held
		sleep 0.5
	done
	stored=$(sqlite3 "$D/agent.db" "SELECT count(*) FROM op_state")
	echo "$2: central holds $held ops of xa1, the office $stored receipts"
	[ "$held" -gt "$stored" ] && pass ||
		fail "$2: central holds $held ops, the office $stored receipts: nothing was on its way"
	same "$2: pending" "$(fl_pending "$D")" $(($1 - stored))
	fl_ctl pass >/dev/null
	expect 0 "$2: the next sync finishes the backlog" -- "$DS" -d "$D" sync --json
	same "$2: the ops central held without a receipt come back duplicate" \
		"$(jget duplicate <"$WORK/out")" $((held - stored))
	same "$2: the rest applied" "$(jget applied <"$WORK/out")" $(($1 - held))
	fl_converged "$D" "$CDB"
}

# --- the link drops both connections while batch n's answer and batch n+1 are on their way
fl_import "$D" 600 8 2025-11-29
fl_ctl latency 100 >/dev/null
"$DS" -d "$D" sync --json >"$WORK/dropped.out" 2>"$WORK/dropped.err" &
SPID=$!
window "$D" 700 >"$WORK/window"
fl_ctl drop >/dev/null
wait "$SPID"
RC=$?
[ -s "$WORK/window" ] && pass || fail "never saw a batch applied on central and not yet stored"
if [ "$RC" = 0 ]; then
	# libcurl sent a request whose kept-alive connection died unanswered again on a new
	# one: central answered the ops it held "duplicate"
	echo "dropped: the round went on ($(jget duplicate <"$WORK/dropped.out") duplicate)"
	same "dropped: pending" "$(fl_pending "$D")" 0
	fl_ctl pass >/dev/null
	fl_converged "$D" "$CDB"
else
	resync 1200 "dropped"
fi

# --- a kill at the same moment
fl_import "$D" 600 9 2025-11-30
fl_ctl latency 100 >/dev/null
"$DS" -d "$D" sync --json >"$WORK/killed.out" 2>"$WORK/killed.err" &
SPID=$!
window "$D" 1300 >"$WORK/window"
kill -KILL "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
[ -s "$WORK/window" ] && pass || fail "never saw a batch applied on central and not yet stored"
resync 1800 "killed"
fl_no_sanitizer "$WORK/central.log"
finish
