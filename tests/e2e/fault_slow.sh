#!/usr/bin/env bash
# fault_slow.sh: a mountain commune's link. A 64 kbit/s link with 300 ms latency each way
# still drains a backlog of 640 changes; a link that goes silent (dsproxy hold) is
# detected as a stall after low_speed_time seconds and retried, never waited on forever;
# and the upload cap (max_send_bytes) keeps the daemon's pushes under the rate asked.
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
	"backoff_base_ms = 200" "backoff_cap_ms = 2000" "pull_interval = 5" \
	"low_speed_bytes = 50" "low_speed_time = 3"
fl_import "$D" 600 "$SEED"

# --- 64 kbit/s (8,000 bytes/s each way) and 300 ms latency each way
fl_ctl bandwidth 8000 >/dev/null
fl_ctl latency 300 >/dev/null
T0=$(now_ms)
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_updates "$D" 40 "slow"
fl_wait_drained 90 "$D" && pass || fail "the backlog did not drain over the slow link"
SLOW_MS=$(($(now_ms) - T0))
UP=$(fl_stat bytes_up)
DOWN=$(fl_stat bytes_down)
echo "64 kbit/s, 300 ms: 640 changes pushed in $SLOW_MS ms ($UP bytes up, $DOWN bytes down so far)"
[ "$SLOW_MS" -le 60000 ] && pass || fail "draining took $SLOW_MS ms over the slow link (want <= 60 s)"
fl_wait_in_step "a pull on the slow link brings central's last state" 30 "$D" "$CDB"
fl_converged "$D" "$CDB"

# --- the link goes silent: a stall. libcurl's speed is averaged over about five seconds,
# so a small request that went out before the silence is judged slow some 6 s later, then
# aborted after low_speed_time (3 s) more, and retried.
fl_ctl pass >/dev/null
fl_ctl hold >/dev/null
"$DS" -d "$D" update "$("$DS" -d "$D" list --json | jget 0.code)" --set 'summary="Đường truyền treo"' >/dev/null
wait_for "a silent link is detected as a stall" 15 \
	log_has "$LOG" "sync failed: .*\(too slow\|timed out\)"
STALL_MS=$POLL_MS
echo "a silent link was given up after $STALL_MS ms: $(grep -m1 -o 'error: .*' "$LOG")"
same "the change waits during the stall" "$(fl_pending "$D")" "1"
fl_ctl pass >/dev/null
fl_wait_drained 15 "$D" && pass || fail "the change went once the link came back"

# --- the upload cap: max_send_bytes = 3000 bytes/s, no cap on the link
sed -i 's/^pull_interval = .*/pull_interval = 600/' "$D/config"
echo "max_send_bytes = 3000" >>"$D/config"
kill -HUP "$DPID"
wait_for "SIGHUP reloads the config (pull every 600 s)" 5 \
	log_has "$LOG" "config reloaded: .*pull every 600 s"
fl_ctl zero >/dev/null
BEFORE=$(fl_central_ops "$CDB")
fl_import "$D" 400 $((SEED + 1)) 2025-11-20
T0=$(now_ms)
MS=$(fl_wait_ops "$CDB" xa1 $((BEFORE + 400)) "$T0" 60000)
UP=$(fl_stat bytes_up)
echo "upload cap 3000 B/s: $UP bytes up in $MS ms ($((UP * 1000 / (MS + 1))) B/s)"
[ $((UP * 1000 / (MS + 1))) -le 3600 ] && pass || fail "the upload ran at $((UP * 1000 / (MS + 1))) B/s over a 3000 B/s cap"
[ "$MS" -lt 60000 ] && pass || fail "the capped upload did not finish"
fl_wait_drained 30 "$D" || fail "drained under the upload cap"
sed -i 's/^pull_interval = .*/pull_interval = 1/' "$D/config"
kill -HUP "$DPID"
fl_wait_in_step "a pull after the capped upload brings central's last state" 15 "$D" "$CDB"
fl_daemon_stop "$DPID"
same "daemon exit status" "$?" "0"
fl_converged "$D" "$CDB"
fl_no_sanitizer "$LOG" "$WORK/central.log"
finish
