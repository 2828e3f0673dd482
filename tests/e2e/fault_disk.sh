#!/usr/bin/env bash
# fault_disk.sh: the office PC's disk fills up. The data directory lives on a small tmpfs
# the test mounts (when it runs as root and may mount), else every write past 4 KiB of a
# file is refused with EFBIG through RLIMIT_FSIZE (prlimit), the nearest equivalent. A
# clerk's change then fails with one clear "disk full" line and exit 75 and writes nothing;
# the journal still verifies; the daemon keeps running and retries; `status` without a
# daemon says "disk full"; and once space is back everything syncs on its own. A full disk
# under history.git alone (tmpfs only) makes `sync --history` exit 75 too, and heals the same way.
# FAULT_DISK_MODE=tmpfs|fsize picks the method (default: tmpfs when possible).
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
MNT=$WORK/disk
D=$MNT/office
LOG=$WORK/daemon.log
trap '' XFSZ # with RLIMIT_FSIZE a write past the limit fails with EFBIG instead of killing
mkdir -p "$MNT"

MODE=${FAULT_DISK_MODE:-auto}
if [ "$MODE" != fsize ] && [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m tmpfs "$MNT" 2>/dev/null; then
	MODE=tmpfs
	disk_cleanup() {
		local p
		for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
		umount "$WORK/hdisk" 2>/dev/null
		cleanup
	}
	trap disk_cleanup EXIT
elif [ "$MODE" = tmpfs ]; then
	echo "FATAL: cannot mount a tmpfs here" >&2
	exit 1
else
	MODE=fsize
fi
echo "disk full by: $MODE"
LIMIT=4096
FILLER=""
fill_disk() { # the disk is full from now on, for the daemon and the commands run with `full`
	if [ $MODE = tmpfs ]; then
		# Empty the WAL first: SQLite reuses its blocks, so a change could still fit there.
		python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
print(c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())' "$D/agent.db" >/dev/null
		dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
		dd if=/dev/zero of="$MNT/filler" bs=4k oflag=append conv=notrunc 2>/dev/null # the last pages
		FILLER=$MNT/filler
	else
		prlimit --pid "$DPID" --fsize=$LIMIT:$LIMIT
	fi
}
full() { # full COMMAND...: runs a command on the full disk
	if [ $MODE = tmpfs ]; then "$@"; else prlimit --fsize=$LIMIT:$LIMIT "$@"; fi
}
jsum() { "$DS" -d "$D" journal --json | sha256sum | cut -c1-64; }
# expect_full WHAT -- COMMAND...: the command fails on the full disk with one clear line:
# "disk full", exit 75. (With RLIMIT_FSIZE a write inside a transaction fails with EFBIG,
# which SQLite reports as a plain SQLITE_IOERR_WRITE without the OS error: there the
# fallback accepts "disk I/O error", exit 1.)
expect_full() {
	local what=$1
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ $got = 75 ] && grep -q "disk full" "$WORK/err"; then pass
	elif [ $MODE = fsize ] && [ $got = 1 ] && grep -q "disk I/O error" "$WORK/err"; then pass
	else fail "$what: exit $got, want 75 and 'disk full'; stderr: $(head -c 300 "$WORK/err")"; fi
	[ "$(wc -l <"$WORK/err")" -le 1 ] && pass || fail "$what: the error is one line"
}

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_office "$D" xa1 "$FL_URL" "$WORK/token" "$FL_AGENCY" \
	"backoff_base_ms = 100" "backoff_cap_ms = 1000" "pull_interval = 1"
fl_import "$D" 150 1
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
fl_wait_drained 20 "$D" && pass || fail "the first backlog drained"
fl_wait_log "$LOG" "sync ok" || fail "the first round ended well" # the round is over
CODE=$("$DS" -d "$D" list --json | jget 0.code)
CODE2=$("$DS" -d "$D" list --json | jget 1.code)
[ $MODE = tmpfs ] && df -h "$MNT" | tail -1

# --- the disk fills
fill_disk
BEFORE=$(jsum)
expect_full "create on a full disk" -- full bash -c "\"$BIN/dsgen\" --count 1 --seed 5 | \"$DS\" -d \"$D\" create -"
expect_full "update on a full disk" -- full "$DS" -d "$D" update "$CODE" --set 'summary="Đĩa đầy"'
expect_full "transition on a full disk" -- full "$DS" -d "$D" transition "$CODE" 4
same "nothing written on a full disk" "$(jsum)" "$BEFORE"
expect 0 "verify on a full disk" -- full "$DS" -d "$D" verify
expect 0 "status on a full disk (the daemon keeps the store open)" -- full "$DS" -d "$D" status --json
same "nothing pending" "$(jget pending_ops <"$WORK/out")" "0"

# Central's change cannot be stored here: the daemon says so and keeps retrying.
"$DSC" --db "$CDB" update "$CODE" --set 'summary="Tỉnh sửa khi đĩa đầy"' >/dev/null
T0=$(now_ms)
FULLRE="disk full"
[ $MODE = fsize ] && FULLRE="disk full\|disk I/O error"
wait_for "the daemon reports the full disk" 8 log_has "$LOG" "sync failed: .*\($FULLRE\)"
grep -m1 -o "error: .*\($FULLRE\)[^;]*" "$LOG"
wait_for "the daemon retries on a full disk" 10 log_has "$LOG" "sync failed" 2
kill -0 "$DPID" 2>/dev/null && pass || fail "the daemon survives the full disk"
expect 0 "verify after the failed rounds" -- full "$DS" -d "$D" verify

fl_daemon_stop "$DPID"
same "daemon exit status on a full disk" "$?" "0"
echo "stop on a full disk: $FL_STOP_MS ms"
# When the last process closed the store cleanly, SQLite removed its -wal and -shm files,
# and opening the store again must create the -shm file: on a full disk even `status`
# cannot open it. The error must say so, with exit 75.
[ $MODE = tmpfs ] && rm -f "$FILLER"
"$DS" -d "$D" status >/dev/null
[ -e "$D/agent.db-shm" ] && fail "agent.db-shm remains after the last process closed the store" || pass
fill_disk_now() {
	if [ $MODE = tmpfs ]; then
		dd if=/dev/zero of="$FILLER" bs=64k 2>/dev/null
		dd if=/dev/zero of="$FILLER" bs=4k oflag=append conv=notrunc 2>/dev/null
	fi
}
fill_disk_now
expect 75 "status on a full disk, store closed" -- full "$DS" -d "$D" status
expect_err "disk full"

# --- space is back (the filler removed; with fsize, the daemon restarts without a limit):
# work and sync resume on their own
[ $MODE = tmpfs ] && rm -f "$FILLER"
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
expect 0 "create once space is back" -- bash -c "\"$BIN/dsgen\" --count 1 --seed 5 | \"$DS\" -d \"$D\" create -"
expect 0 "update once space is back" -- "$DS" -d "$D" update "$CODE2" --set 'summary="Đĩa trống lại"'
fl_wait_drained 20 "$D" && pass || fail "sync resumed once space was back"
same "the office's change reached central" \
	"$("$DSC" --db "$CDB" show "$CODE2" --json | jget summary)" "Đĩa trống lại"
office_summary() { "$DS" -d "$D" show "$CODE" --json | jget summary; }
wait_for "central's edit reached the office once the disk was freed" 10 \
	output_is "Tỉnh sửa khi đĩa đầy" office_summary
expect 0 "verify at the end" -- "$DS" -d "$D" verify
fl_daemon_stop "$DPID"
fl_converged "$D" "$CDB"

# --- only history.git's disk is full (tmpfs: history.git moved to a second small tmpfs):
# central's change is stored, the history cannot take it; `sync --history` says "disk full"
# with exit 75 (libgit2's write error, not exit 1) and the next catch-up brings history up.
if [ $MODE = tmpfs ]; then
	HMNT=$WORK/hdisk
	mkdir -p "$HMNT"
	mount -t tmpfs -o size=16m tmpfs "$HMNT" || fail "cannot mount the history tmpfs"
	cp -a "$D/history.git" "$HMNT/" && rm -rf "$D/history.git" &&
		ln -s "$HMNT/history.git" "$D/history.git"
	dd if=/dev/zero of="$HMNT/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$HMNT/filler" bs=4k oflag=append conv=notrunc 2>/dev/null
	"$DSC" --db "$CDB" update "$CODE2" --set 'summary="Tỉnh sửa khi lịch sử đầy"' >/dev/null
	expect 75 "sync with history.git on a full disk" -- "$DS" -d "$D" sync --history
	expect_err "disk full"
	grep -q "history" "$WORK/err" && pass || fail "the error names history: $(cat "$WORK/err")"
	cat "$WORK/err"
	rm -f "$HMNT/filler"
	expect 0 "sync once history.git has space" -- "$DS" -d "$D" sync --history
	expect 0 "verify once history.git caught up" -- "$DS" -d "$D" verify
	same "central's edit stored while history was full" \
		"$("$DS" -d "$D" show "$CODE2" --json | jget summary)" "Tỉnh sửa khi lịch sử đầy"
	fl_converged "$D" "$CDB"
fi
fl_no_sanitizer "$LOG" "$WORK/central.log"
finish
