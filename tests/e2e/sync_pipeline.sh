#!/usr/bin/env bash
# sync_pipeline.sh: the push as a pipeline, over a far link. Through dsproxy at 25 ms each
# way and 1 MB/s, `dossync sync` of a backlog uses two kept-alive connections for the whole
# round (two pushes in flight), one request per batch (a small first batch, then batches
# sized by the link, never past batch_bytes; plus one for each batch refused because it
# reached central before the one it follows) and one pull, and ends converged. Then a sync
# is killed (SIGKILL) while a batch's answer is on its way and the next batch is being
# made: central holds ops the office has no receipt for; the next sync gets them answered
# "duplicate" and converges.
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

# --- the far link: every batch costs a 50 ms round trip at least
fl_ctl latency 25 >/dev/null
fl_ctl bandwidth 1000000 >/dev/null
fl_ctl zero >/dev/null
L0=$(wc -l <"$WORK/central.log")
expect 0 "the backlog syncs over the far link" -- "$DS" -d "$D" sync --json
cp "$WORK/out" "$WORK/s1.json"
# a batch central took before the one it follows is refused (409) and sent again
REFUSED=$(tail -n +$((L0 + 1)) "$WORK/central.log" | grep -c "/v1/push 409 ")
same "pushed" "$(jget pushed <"$WORK/s1.json")" 600
same "applied" "$(jget applied <"$WORK/s1.json")" 600
BATCHES=$(jget batches <"$WORK/s1.json")
# 600 ops of about 0.9 KiB in batches of at most 48 KiB, after a 16 KiB first one
[ "$BATCHES" -ge 10 ] && [ "$BATCHES" -le 16 ] && pass ||
	fail "$BATCHES batches for 600 ops at batch_bytes 48 KiB (want 10 to 16)"
same "one request per batch, one pull, and the refused ones" \
	"$(jget requests <"$WORK/s1.json")" $((BATCHES + 1 + REFUSED))
same "two connections for the whole round (two pushes in flight)" "$(fl_stat connections)" 2
fl_converged "$D" "$CDB"

# --- a kill while a batch is on its way: 100 ms each way leaves a window between central
# committing a batch and the office storing its receipts
fl_import "$D" 600 8 2025-11-29
fl_ctl bandwidth 0 >/dev/null
fl_ctl latency 100 >/dev/null
"$DS" -d "$D" sync --json >"$WORK/killed.out" 2>"$WORK/killed.err" &
SPID=$!
python3 - "$CDB" "$D/agent.db" >"$WORK/window" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
a = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True, timeout=5)
end = time.time() + 60
while time.time() < end:
    held = c.execute("SELECT count(*) FROM ops WHERE node = 'xa1'").fetchone()[0]
    acked = a.execute("SELECT count(*) FROM op_state").fetchone()[0]
    if held > acked and acked > 600:  # a batch of the second backlog is on its way back
        print(held, acked)
        break
    time.sleep(0.005)
PY
kill -KILL "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
read -r HELD ACKED <"$WORK/window"
[ -n "${HELD:-}" ] && pass || fail "never saw a batch applied on central and not yet stored"
NODE_OPS=$(fl_node_ops "$CDB" xa1)
STORED=$(sqlite3 "$D/agent.db" "SELECT count(*) FROM op_state")
echo "killed: central holds $NODE_OPS ops of xa1, the office $STORED receipts"
[ "$NODE_OPS" -gt "$STORED" ] && pass ||
	fail "central holds $NODE_OPS ops, the office $STORED receipts: no batch was on its way"
same "pending after the kill" "$(fl_pending "$D")" $((1200 - STORED))
fl_ctl pass >/dev/null
expect 0 "the next sync finishes the backlog" -- "$DS" -d "$D" sync --json
cp "$WORK/out" "$WORK/s2.json"
same "the ops central held without a receipt come back duplicate" \
	"$(jget duplicate <"$WORK/s2.json")" $((NODE_OPS - STORED))
same "the rest applied" "$(jget applied <"$WORK/s2.json")" $((1200 - NODE_OPS))
fl_converged "$D" "$CDB"
fl_no_sanitizer "$WORK/central.log"
finish
