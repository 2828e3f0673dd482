#!/usr/bin/env bash
# fault_link.sh: a 2,000-change backlog pushed by the daemon through dsproxy while the link
# dies mid-request and mid-response again and again (reset up N / reset down N, switched
# every few hundred milliseconds), with clerks still working. When the link is good again
# the backlog drains on its own, and central holds every op exactly once.
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
	"backoff_base_ms = 50" "backoff_cap_ms = 800" "pull_interval = 1"
fl_import "$D" 1850 "$SEED"
echo "backlog: $(fl_pending "$D") ops"

# The link is bad from the start: the first request dies.
fl_ctl reset up 3000 >/dev/null
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID

# Clerks keep working during the storm: 150 patches and moves, one command each.
(fl_updates "$D" 150 "link" 2>>"$WORK/clerk.err"; touch "$WORK/clerk.done") &
PIDS+=($!)

# The storm: the link dies after a random number of bytes, up or down, 72 times over,
# and goes on (up to 120 cycles) until the daemon has lost at least 10 rounds to it: how
# many rounds a cycle catches depends on the machine's speed. The byte counts are small
# enough (under 4 KB) to kill a pull too: since the echo carries no states a pull page is
# a few KB, and a drained daemon that only pulls would slip through bigger ones.
CYCLES=0
T0=$(now_ms)
while [ $CYCLES -lt 36 ] ||
	{ [ "$(grep -c "sync failed" "$LOG")" -lt 10 ] && [ $CYCLES -lt 120 ]; }; do
	# The scenario's pacing: each fault lasts 0.2 to 0.4 s.
	fl_ctl reset up $((RANDOM % 4000 + 200)) >/dev/null
	sleep "0.$((RANDOM % 3 + 2))"
	fl_ctl reset down $((RANDOM % 4000 + 100)) >/dev/null
	sleep "0.$((RANDOM % 3 + 2))"
	if [ $((CYCLES % 4)) = 3 ]; then
		fl_ctl drop >/dev/null # every open connection reset at once
		fl_ctl pass >/dev/null # a short good spell
		sleep 0.2 # the scenario: a short good spell
	fi
	CYCLES=$((CYCLES + 1))
done
STORM_MS=$(($(now_ms) - T0))
CONNS=$(fl_stat connections)
FAILED=$(grep -c "sync failed" "$LOG")
echo "storm: $CYCLES cycles in $STORM_MS ms, $CONNS connections, $FAILED failed rounds, pending $(fl_pending "$D")"
[ "$FAILED" -ge 10 ] && pass || fail "the link died only $FAILED times during the storm (want >= 10)"
# A response lost after central applied the batch comes back as duplicates next time.
DUPS=$(grep -o "[0-9]* duplicate" "$LOG" | awk '{s += $1} END {print s + 0}')
echo "ops central had applied when the answer was lost (then answered duplicate): $DUPS"
grep -q "sync failed: .*central unreachable\|sync failed: .*Recv failure\|sync failed: .*Send failure\|sync failed: .*reset" "$LOG" &&
	pass || fail "failures name the broken link: $(grep -m1 'sync failed' "$LOG")"

# Good link again: the backlog drains without help.
fl_ctl pass >/dev/null
wait_for "the clerks finished" 60 test -e "$WORK/clerk.done"
[ -s "$WORK/clerk.err" ] && fail "clerk errors: $(head -3 "$WORK/clerk.err")" || pass
T1=$(now_ms)
fl_wait_drained 120 "$D" && pass || fail "the backlog did not drain after the storm"
echo "drained $(($(now_ms) - T1)) ms after the link came back"
# The round that drained it ends with a pull and the history catch-up of ~1,900 dossiers
# (not cancellable: a stop would wait for it); wait for two good rounds, then stop.
fl_wait_log "$LOG" "sync ok" 2 60 && pass || fail "no good round after the storm: $(tail -1 "$LOG")"
fl_daemon_stop "$DPID"
same "daemon exit status" "$?" "0"
echo "stop: $FL_STOP_MS ms"
[ "$FL_STOP_MS" -le 2000 ] && pass || fail "SIGTERM took $FL_STOP_MS ms"
same "journal size" "$("$DS" -d "$D" status --json | jget journal_seq)" "2000"
fl_converged "$D" "$CDB"
fl_no_sanitizer "$LOG" "$WORK/central.log"
finish
