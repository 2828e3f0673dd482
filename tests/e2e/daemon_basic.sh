#!/usr/bin/env bash
# daemon_basic.sh: `dossync daemon` as an operator meets it: it pushes a new change within
# about two seconds, reloads its config on SIGHUP (and keeps the old one when the new one
# is bad), catches history.git up between rounds, stops within two seconds on SIGTERM even
# in the middle of a hung request, refuses to run twice on one data directory (exit 75),
# shows in `status`, and stops retrying when central refuses its token, saying so loudly.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
D=$WORK/office
LOG=$WORK/daemon.log

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_office "$D" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" \
	"backoff_base_ms = 100" "backoff_cap_ms = 1000" "pull_interval = 30"
fl_import "$D" 20 1

# --- no daemon yet
expect 0 "status --json without a daemon" -- "$DS" -d "$D" status --json
same "daemon.running before start" "$(jget daemon.running <"$WORK/out")" "False"
same "daemon.pid before start" "$(jget daemon.pid <"$WORK/out")" "None"
expect 0 "status without a daemon" -- "$DS" -d "$D" status
expect_out "daemon      not running"
expect 64 "daemon with a bad option" -- "$DS" -d "$D" daemon --fork
expect_err "unknown argument"

# --- start: the backlog goes in the first round
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_wait_drained 15 "$D" && pass || fail "the first round did not push the 20 dossiers"
fl_wait_log "$LOG" "sync ok" && pass || fail "the first round ended well: $(tail -1 "$LOG")"
expect 0 "status --json with the daemon" -- "$DS" -d "$D" status --json
same "daemon.running" "$(jget daemon.running <"$WORK/out")" "True"
same "daemon.pid" "$(jget daemon.pid <"$WORK/out")" "$DPID"
same "daemon.state" "$(jget daemon.state <"$WORK/out")" "idle"
[ "$(jget last_success_at <"$WORK/out")" != None ] && pass || fail "last_success_at is set"
expect 0 "status with the daemon" -- "$DS" -d "$D" status
expect_out "daemon      running (pid $DPID)"
grep -q "sync ok: pushed 20 (20 applied" "$LOG" && pass || fail "one log line for the first round: $(tail -3 "$LOG")"
# history.git is caught up between rounds, by the daemon alone (read with stock git, which
# catches nothing up)
history_done() { [ "$("$DS" -d "$D" status --json | jget history_behind)" = 0 ]; }
wait_for "the daemon catches history up between rounds" 20 history_done
same "history holds the 20 dossiers" "$(git --git-dir="$D/history.git" ls-tree -r -d --name-only \
	local | awk -F/ 'NF == 3' | wc -l)" 20

# --- a second daemon on the same directory refuses
expect 75 "a second daemon" -- "$DS" -d "$D" daemon --foreground
expect_err "a dossync daemon already runs on $D (pid $DPID)"
kill -0 "$DPID" 2>/dev/null && pass || fail "the first daemon still runs"

# --- a new change reaches central within about two seconds
# (timed from the command's return to the op being in central.db)
SEQ=$("$DS" -d "$D" status --json | jget journal_seq)
CODE=$("$BIN/dsgen" --count 1 --seed 77 --date 2025-11-29 | "$DS" -d "$D" create -)
T0=$(now_ms)
MS=$(fl_wait_ops "$CDB" xa1 $((SEQ + 1)) "$T0")
echo "a new dossier reached central after $MS ms"
[ "$MS" -le 2000 ] && pass || fail "a new dossier took $MS ms to reach central (want <= 2000)"
"$DS" -d "$D" update "$CODE" --set 'summary="Bổ sung giấy tờ"' >/dev/null
T0=$(now_ms)
MS2=$(fl_wait_ops "$CDB" xa1 $((SEQ + 2)) "$T0")
echo "an update reached central after $MS2 ms"
[ "$MS2" -le 2000 ] && pass || fail "an update took $MS2 ms to reach central (want <= 2000)"
same "central has the update" "$("$DSC" --db "$CDB" show "$CODE" --json | jget summary)" "Bổ sung giấy tờ"

# --- SIGHUP: the new pull interval is used; a bad config is refused and the old one kept
"$DSC" --db "$CDB" update "$CODE" --set 'summary="Tỉnh sửa lần 1"' >/dev/null
sleep 2 # an absence: for these 2 s the daemon must not pull (there is nothing to wait for)
same "central's edit waits for the next pull (every 30 s)" \
	"$("$DS" -d "$D" show "$CODE" --json | jget summary)" "Bổ sung giấy tờ"
echo "bogus_key = 1" >>"$D/config"
kill -HUP "$DPID"
wait_for "a bad config is reported on SIGHUP" 5 \
	log_has "$LOG" "config not reloaded, keeping the old settings: .*bogus_key"
kill -0 "$DPID" 2>/dev/null && pass || fail "the daemon survives a bad config"
sed -i '/^bogus_key/d; s/^pull_interval = .*/pull_interval = 1/' "$D/config"
kill -HUP "$DPID"
wait_for "SIGHUP reloads the config" 5 \
	log_has "$LOG" "config reloaded: central $FL_PROXY_URL, pull every 1 s"
summary() { "$DS" -d "$D" show "$CODE" --json | jget summary; }
wait_for "central's edit pulled after the reload" 5 output_is "Tỉnh sửa lần 1" summary
"$DSC" --db "$CDB" update "$CODE" --set 'summary="Tỉnh sửa lần 2"' >/dev/null
wait_for "with pull_interval = 1 central's edit reaches the office" 5 \
	output_is "Tỉnh sửa lần 2" summary
PULL_MS=$POLL_MS
echo "central's edit reached the office after $PULL_MS ms (pull_interval = 1)"
[ "$PULL_MS" -le 2500 ] && pass || fail "with pull_interval = 1 an edit took $PULL_MS ms"

# --- SIGTERM while idle
fl_daemon_stop "$DPID"
same "exit status after SIGTERM (idle)" "$?" "0"
STOP_IDLE=$FL_STOP_MS
echo "stop while idle: $STOP_IDLE ms"
[ "$STOP_IDLE" -le 2000 ] && pass || fail "SIGTERM while idle took $STOP_IDLE ms"
grep -q "daemon stopped on signal 15" "$LOG" && pass || fail "the stop is logged"
expect 0 "status after the stop" -- "$DS" -d "$D" status --json
same "daemon.running after the stop" "$(jget daemon.running <"$WORK/out")" "False"

# --- SIGTERM while a request hangs (the proxy holds every byte)
sed -i 's/^pull_interval = .*/pull_interval = 30/' "$D/config"
OK0=$(log_count "$LOG" "sync ok")
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_wait_drained 10 "$D" || fail "drained before the hold"
wait_for "the first round after the restart ends" 10 log_has "$LOG" "sync ok" $((OK0 + 1))
fl_ctl hold >/dev/null
"$DS" -d "$D" update "$CODE" --set 'summary="Trong lúc treo"' >/dev/null
wait_for "the daemon's push hangs in the proxy" 10 at_least 1 fl_held_bytes
same "the held change is still pending" "$(fl_pending "$D")" "1"
fl_daemon_stop "$DPID"
same "exit status after SIGTERM (hung request)" "$?" "0"
STOP_HUNG=$FL_STOP_MS
echo "stop during a hung request: $STOP_HUNG ms"
[ "$STOP_HUNG" -le 2000 ] && pass || fail "SIGTERM during a hung request took $STOP_HUNG ms"
fl_ctl pass >/dev/null
expect 0 "verify after the stop" -- "$DS" -d "$D" verify

# --- token refusal 1: the token file is gone. No retry until it is back.
sed -i 's/^pull_interval = .*/pull_interval = 1/' "$D/config"
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_wait_drained 10 "$D" && pass || fail "the held change went after a restart"
mv "$WORK/token" "$WORK/token.away"
"$DS" -d "$D" update "$CODE" --set 'summary="Không có token"' >/dev/null
wait_for "a missing token file is logged loudly" 5 \
	log_has "$LOG" "sync refused: .*cannot read the token file.*NOT RETRYING"
mv "$WORK/token.away" "$WORK/token"
fl_wait_drained 5 "$D" && pass || fail "the daemon resumes when the token file is back"

# --- token refusal 2: central revokes the token. The daemon stops retrying.
"$DSC" --db "$CDB" token revoke "$(cut -d. -f2 "$WORK/token")" >/dev/null
"$DS" -d "$D" update "$CODE" --set 'summary="Token bị thu hồi"' >/dev/null
wait_for "the token refusal is logged loudly" 5 \
	log_has "$LOG" "sync refused: .*central refused the token (401).*NOT RETRYING"
expect 0 "status --json after the refusal" -- "$DS" -d "$D" status --json
same "daemon.state after the refusal" "$(jget daemon.state <"$WORK/out")" "refused"
grep -q '"last_error": "central refused the token (401)' "$WORK/out" && pass ||
	fail "status shows the refusal as last_error: $(grep last_error "$WORK/out")"
expect 0 "status text after the refusal" -- "$DS" -d "$D" status
expect_out "refused"
UP0=$(fl_stat bytes_up)
CONN0=$(fl_stat connections)
"$DS" -d "$D" update "$CODE" --set 'summary="Vẫn bị thu hồi"' >/dev/null
sleep 3 # an absence: for these 3 s the refused daemon must not send anything
same "no request after the refusal (bytes up)" "$(fl_stat bytes_up)" "$UP0"
same "no connection after the refusal" "$(fl_stat connections)" "$CONN0"
same "both changes wait" "$(fl_pending "$D")" "2"
kill -0 "$DPID" 2>/dev/null && pass || fail "the daemon keeps running after a refusal"
REFUSALS=$(grep -c "sync refused" "$LOG")
kill -HUP "$DPID"
wait_for "SIGHUP tries once more, and is refused again" 5 \
	output_is "$((REFUSALS + 1))" log_count "$LOG" "sync refused"
sleep 1 # an absence: no second try follows within a second
same "SIGHUP tries only once" "$(log_count "$LOG" "sync refused")" "$((REFUSALS + 1))"
fl_daemon_stop "$DPID"
same "exit status after SIGTERM (refused)" "$?" "0"
STOP_REFUSED=$FL_STOP_MS
expect 0 "verify at the end" -- "$DS" -d "$D" verify
fl_no_sanitizer "$LOG" "$WORK/central.log"
echo "figures: change -> central $MS ms, update -> central $MS2 ms, central -> office $PULL_MS ms, stop idle $STOP_IDLE ms, stop hung $STOP_HUNG ms, stop refused $STOP_REFUSED ms"
finish
