#!/usr/bin/env bash
# fault_central.sh: central misbehaves while the daemon holds a backlog: it answers 503 for
# a while, it is down for a while (stopped, then started again on the same port), and it
# is killed with SIGKILL in the middle of applying pushes, five times, and restarted. After
# each spell the backlog drains on its own and central holds every op exactly once.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
echo "seed $SEED"
RANDOM=$SEED
CDB=$WORK/central.db
D=$WORK/office
LOG=$WORK/daemon.log

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_office "$D" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" \
	"backoff_base_ms = 100" "backoff_cap_ms = 1000" "pull_interval = 2" "batch_bytes = 32768"
fl_import "$D" 600 "$SEED"

# --- 503 for a while
fl_ctl http503 >/dev/null
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_updates "$D" 30 "503"
wait_for "the daemon meets 503 three times" 10 log_has "$LOG" "sync failed: .*(503)" 3
echo "503 spell: $(log_count "$LOG" "sync failed: .*(503)") failed rounds"
same "central applied nothing during the 503 spell" "$(fl_central_ops "$CDB")" "0"
fl_ctl pass >/dev/null
T0=$(now_ms)
fl_wait_drained 60 "$D" && pass || fail "the backlog did not drain after the 503 spell"
echo "drained $(($(now_ms) - T0)) ms after the 503 spell"
fl_wait_in_step "a pull brings central's state after the 503 spell" 15 "$D" "$CDB"
fl_converged "$D" "$CDB"

# --- central down for a while, then back on the same port
fl_central_stop TERM
fl_import "$D" 300 $((SEED + 1)) 2025-11-27
fl_updates "$D" 20 "down"
wait_for "the daemon sees central down twice" 10 \
	log_has "$LOG" "sync failed: .*central unreachable" 2
fl_central_start "$CDB"
T0=$(now_ms)
fl_wait_drained 60 "$D" && pass || fail "the backlog did not drain after central came back"
echo "central down: drained $(($(now_ms) - T0)) ms after it came back"
fl_wait_in_step "a pull brings central's state after the restart" 15 "$D" "$CDB"
fl_converged "$D" "$CDB"

# --- central killed with SIGKILL during apply, five times. The push is a pipeline (the
# next batch goes the moment the last one's receipts arrive), so on a near link 400 ops
# are all applied before a kill can land: 20 ms each way keeps the push going for a while.
fl_ctl latency 20 >/dev/null
KILLS=0
for k in 1 2 3 4 5; do
	BEFORE=$(fl_central_ops "$CDB")
	fl_import "$D" 400 $((SEED + 10 + k)) "2025-11-$((10 + k))"
	# The daemon sees the new ops within 300 ms and pushes them in batches of ~60 (32 KiB);
	# once central has applied the first, kill it somewhere in the middle of the others.
	fl_wait_ops "$CDB" xa1 $((BEFORE + 1)) "$(now_ms)" 10000 >/dev/null
	# the scenario: a kill at a random point of the push, 0-29 ms after the first batch
	# landed (on a quiet machine the whole push of 400 takes about 100 ms)
	sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
	fl_central_stop KILL
	AFTER=$(fl_central_ops "$CDB")
	echo "kill $k: central had applied $((AFTER - BEFORE)) of the 400 new ops"
	[ "$AFTER" -lt $((BEFORE + 400)) ] && KILLS=$((KILLS + 1))
	sleep 0.5 # the scenario: central stays down for a moment, the daemon backs off
	fl_central_start "$CDB"
done
echo "$KILLS of 5 kills landed before the batch was all applied"
fl_ctl pass >/dev/null
[ "$KILLS" -ge 3 ] && pass || fail "only $KILLS kills landed during the push"
T0=$(now_ms)
fl_wait_drained 90 "$D" && pass || fail "the backlog did not drain after the kills"
echo "drained $(($(now_ms) - T0)) ms after the last restart"
fl_wait_in_step "a pull brings central's state after the kills" 15 "$D" "$CDB"
fl_daemon_stop "$DPID"
same "daemon exit status" "$?" "0"
echo "stop: $FL_STOP_MS ms"
fl_converged "$D" "$CDB"
fl_no_sanitizer "$LOG" "$WORK/central.log"
finish
