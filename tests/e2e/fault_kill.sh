#!/usr/bin/env bash
# fault_kill.sh: the office PC loses power again and again while it syncs. `dossync sync`
# runs over a growing backlog and is killed with SIGKILL at 50 or more random moments
# (pushing, storing receipts, pulling, merging, writing history), then started again. Every
# tenth kill `verify` checks the journal and history (it takes seconds on this many
# dossiers); at the end one sync finishes the job and central holds every op exactly once.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
echo "seed $SEED"
RANDOM=$SEED
CDB=$WORK/central.db
D=$WORK/office

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_ctl latency 15 >/dev/null # a few round trips of a real link: sync takes a while
fl_office "$D" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "batch_bytes = 65536"
fl_import "$D" 600 "$SEED"

KILLS=0
DONE=0
SPAN_MS=500
BAD=0
I=0
T0=$(now_ms)
while [ $KILLS -lt 50 ] && [ $I -lt 200 ]; do
	I=$((I + 1))
	# More work arrives now and then, so there is always something to sync.
	if [ $((I % 3)) = 0 ]; then
		fl_import "$D" 40 $((SEED + I)) "2025-10-$((I % 28 + 1))"
		fl_updates "$D" 2 "kill$I" 2>>"$WORK/clerk.err"
	fi
	"$DS" -d "$D" sync >/dev/null 2>>"$WORK/sync.err" &
	P=$!
	# The kill lands 20 ms to 90% of the last finished sync's length into the run (450 ms
	# before one finished), so it falls inside a sync however fast this machine syncs.
	S0=$(now_ms)
	WAIT_MS=$((20 + RANDOM % (SPAN_MS * 9 / 10 - 19)))
	sleep "$((WAIT_MS / 1000)).$(printf '%03d' $((WAIT_MS % 1000)))"
	if kill -KILL "$P" 2>/dev/null; then
		KILLS=$((KILLS + 1))
		wait "$P" 2>/dev/null
	else
		wait "$P" 2>/dev/null
		DONE=$((DONE + 1))
		SPAN_MS=$(($(now_ms) - S0))
		[ "$SPAN_MS" -ge 60 ] || SPAN_MS=60
	fi
	[ $((I % 10)) = 0 ] || continue
	if ! "$DS" -d "$D" verify >"$WORK/verify.out" 2>&1; then
		BAD=$((BAD + 1))
		fail "verify after kill $KILLS: $(cat "$WORK/verify.out")"
	fi
done
expect 0 "verify after the last kill" -- "$DS" -d "$D" verify
echo "$KILLS kills and $DONE finished syncs in $I runs, $(($(now_ms) - T0)) ms; verify failed $BAD times"
[ "$KILLS" -ge 50 ] && pass || fail "only $KILLS kills landed during a sync (need 50)"
same "verify held after every kill" "$BAD" "0"
OPS=$(fl_central_ops "$CDB")
echo "central holds $OPS of $("$DS" -d "$D" status --json | jget journal_seq) ops before the last sync"

# One sync to the end (a second one when the first only caught up with merges).
expect 0 "a last sync" -- "$DS" -d "$D" sync
[ "$(fl_pending "$D")" = 0 ] || expect 0 "another sync" -- "$DS" -d "$D" sync
[ -s "$WORK/clerk.err" ] && fail "clerk errors: $(head -3 "$WORK/clerk.err")" || pass
grep -v "^dossync: " "$WORK/sync.err" | head -3 | grep . && fail "sync printed more than error lines" || pass
fl_converged "$D" "$CDB"
fl_no_sanitizer "$WORK/sync.err" "$WORK/central.log"
finish
