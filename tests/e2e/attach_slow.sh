#!/usr/bin/env bash
# attach_slow.sh: a mountain commune's day of scans (issue 16): 3 MB of scans through
# 256 kbit/s with 300 ms latency each way, the link cut about every 100 KB. Every file
# arrives whole, central's copies match, and the bytes sent exceed the files' sizes by at
# most 2% (the overhead is printed). Then a 10 MB backlog goes up the same link under the
# daemon, and a clerk's status change made meanwhile reaches central within one round,
# long before the scans. About 2 to 3 minutes.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/attach_lib.sh"
echo "seed $SEED"
RANDOM=$SEED
CDB=$WORK/central.db
CF=$WORK/cfiles
O=$WORK/office

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
at_central_start "$CDB" --files "$CF"
fl_proxy_start
fl_office "$O" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "low_speed_bytes = 50" \
	"low_speed_time = 3"
D=$(at_dossier "$O")
"$DS" -d "$O" sync >/dev/null || fail "the first sync"
TOTAL=0
for i in 1 2 3 4 5 6; do
	n=$((450000 + RANDOM % 100000))
	at_scan "$WORK/day$i.pdf" "$n"
	TOTAL=$((TOTAL + n))
	"$DS" -d "$O" attach "$D" "$WORK/day$i.pdf" >/dev/null || fail "attach day$i"
done
fl_ctl bandwidth 32000 >/dev/null # 256 kbit/s
fl_ctl latency 300 >/dev/null
fl_ctl reset up $((90000 + RANDOM % 20000)) >/dev/null # a cut about every 100 KB
fl_ctl zero >/dev/null
T0=$(now_ms)
at_sync_drained "$O" 200 && pass || fail "the scans did not all arrive"
MS=$(($(now_ms) - T0))
fl_ctl pass >/dev/null
UP=$(fl_stat bytes_up)
for i in 1 2 3 4 5 6; do
	same "day$i arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/day$i.pdf")")" \
		"$(at_sha "$WORK/day$i.pdf")"
done
PCT=$(python3 -c "print(f'{100 * ($UP - $TOTAL) / $TOTAL:.2f}')")
echo "$TOTAL bytes of scans through 256 kbit/s, 300 ms, cut about every 100 KB:" \
	"$UP bytes up ($PCT% over), $AT_SYNCS syncs, $MS ms"
[ "$UP" -le $((TOTAL * 102 / 100)) ] && pass || fail "the bytes sent exceed the files by $PCT% (want <= 2%)"
"$DS" -d "$O" status --json | jget attachments.rate_bps >"$WORK/rate"
[ -s "$WORK/rate" ] && [ "$(cat "$WORK/rate")" != None ] && pass || fail "status has no measured rate"

# --- a clerk's move while a 10 MB backlog goes up the slow link
for i in 1 2 3; do
	at_scan "$WORK/big$i.pdf" 3400000
	"$DS" -d "$O" attach "$D" "$WORK/big$i.pdf" >/dev/null || fail "attach big$i"
done
same "a 10 MB backlog waits" "$(at_backlog "$O" bytes)" 10200000
fl_ctl bandwidth 32000 >/dev/null
fl_ctl latency 300 >/dev/null
fl_daemon_start "$O" "$WORK/daemon.log"
uploading() { [ "$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*) FROM files WHERE received > 0 AND verified = 0").fetchone()[0])' "$CDB")" != 0 ]; }
wait_for "the backlog starts to go up" 60 uploading
"$DS" -d "$O" transition "$D" 4 --note "chuyển xử lý" >/dev/null || fail "transition"
central_status() { "$DSC" --db "$CDB" show "$D" --json | jget status; }
wait_for "the move reaches central while the backlog goes up" 30 output_is 4 central_status
echo "the move reached central in $POLL_MS ms with a 10 MB backlog on the link"
LEFT=$(at_backlog "$O" bytes)
[ "$LEFT" -gt 8000000 ] && pass || fail "the backlog should still be on its way: $LEFT bytes left"
fl_daemon_stop "$FL_DAEMON_PID"
finish
