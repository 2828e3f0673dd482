#!/usr/bin/env bash
# clock.sh: every sync measures how far the office PC's clock is from central's (the Date
# of central's answers); `status` shows it and says plainly when it is wrong (past 2
# minutes), `sync` warns; a received time further in the future than that is refused,
# with "now" corrected by the measured skew. The PC's clock is moved with faketime.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
DB="$WORK/central.db"
D="$WORK/office"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5
command -v faketime >/dev/null || { fail "faketime is not installed (scripts/deps installs it)"; finish; }
ds() { "$DS" -d "$D" --actor lan "$@"; }
# at OFFSET command...: runs it with this PC's clock moved by OFFSET ("+10m", "-10m");
# ASan must not insist on coming first when libfaketime is preloaded.
at() { local o=$1; shift; ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" faketime -f "$o" "$@"; }
# dossier FILE RECEIVED
dossier() {
	printf '{"procedure": {"code": "1.004873", "name": "Đăng ký khai sinh"},
	 "applicant": {"name": "Lê Văn An"}, "received_at": "%s", "due_at": "%s"}\n' \
		"$2" "$(date -d "$2 + 3 days" +%Y-%m-%dT%H:%M:%S+07:00)" >"$1"
}
vn() { TZ=Asia/Ho_Chi_Minh date -d "$1" +%Y-%m-%dT%H:%M:%S+07:00; }
skew() { ds status --json | jget clock_skew_s; }
near() { # near WHAT GOT WANT: within 3 s (HTTP dates have whole seconds)
	if [ -n "$2" ] && [ "$2" != None ] && [ $(($2 - $3)) -le 3 ] && [ $(($3 - $2)) -le 3 ]
	then pass; else fail "$1: got '$2', want about $3"; fi
}

central_fresh "$DB" $AG "$WORK/tok"
office_init "$D" $AG xa1 "$WORK/tok"

# --- never measured: status says nothing of the clock, and is not alarmed
expect 0 "status before any sync" -- ds status --json
same "no skew yet" "$(jget clock_skew_s <"$WORK/out")" None
same "clock_ok before any sync" "$(jget clock_ok <"$WORK/out")" True

# --- a PC 10 minutes fast: sync warns, status says so plainly
dossier "$WORK/a.json" "$(vn "now - 1 hour")"
expect 0 "create" -- ds create "$WORK/a.json"
expect 0 "sync with the clock 10 minutes fast" -- at +10m "$DS" -d "$D" sync
expect_err "clock is 600 s ahead of central's"
near "skew measured" "$(skew)" 600
expect 0 "status --json" -- ds status --json
same "clock_ok" "$(jget clock_ok <"$WORK/out")" False
expect 0 "status" -- ds status
expect_out "s ahead of central's"
expect_out "WRONG, set this PC's clock"

# --- the clock set right: the next sync measures again, and the alarm is gone
expect 0 "sync with the right clock" -- ds sync
if grep -q "clock is" "$WORK/err"; then fail "no clock warning expected: $(cat "$WORK/err")"; else pass; fi
near "skew after the fix" "$(skew)" 0
expect 0 "status" -- ds status
if grep -q WRONG "$WORK/out"; then fail "status still alarmed: $(cat "$WORK/out")"; else pass; fi

# --- a received time in the future: refused past 2 minutes, nothing written
N=$(ds journal --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
dossier "$WORK/f.json" "$(vn "now + 1 hour")"
expect 65 "received an hour from now" -- ds create "$WORK/f.json"
expect_err "is in the future"
expect_err "this PC's clock"
same "nothing written" "$(ds journal --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$N"
dossier "$WORK/g.json" "$(vn "now + 60 seconds")"
expect 0 "received a minute from now (within the tolerance)" -- ds create "$WORK/g.json"

# --- a PC 10 minutes slow: "now" is central's, so the true present is accepted even though
# this PC's own clock thinks it is 10 minutes ahead, and the true future still refused
expect 0 "sync with the clock 10 minutes slow" -- at -10m "$DS" -d "$D" sync
expect_err "clock is 600 s behind central's"
near "skew measured" "$(skew)" -600
dossier "$WORK/h.json" "$(vn "now")"
expect 0 "the true present, on a slow PC" -- at -10m "$DS" -d "$D" --actor lan create "$WORK/h.json"
dossier "$WORK/i.json" "$(vn "now + 5 minutes")"
expect 65 "five minutes ahead of central's clock, on a slow PC" -- \
	at -10m "$DS" -d "$D" --actor lan create "$WORK/i.json"
expect_err "by central's clock"
finish
