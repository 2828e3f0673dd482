#!/usr/bin/env bash
# merge_ancestor.sh: a merge never re-asserts a value its own author has already seen
# replaced (issue 11). PC b of an office loses central's answer after central applied its
# op, or edits again while its push is in flight, so its next op carries an old base and a
# parent; when that op conflicts, the merge's ancestor must be central's state that already
# holds b's applied ops (or the version its merge op merged), not the state the chain
# started from.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
A=$WORK/a
B=$WORK/b
cen() { "$DSC" --db "$CDB" --actor "Sở Tư pháp" "$@"; }
da() { "$DS" -d "$A" --actor "Lan" "$@"; }
db() { "$DS" -d "$B" --actor "Minh" "$@"; }
cfield() { cen show "$1" --json | jget "$2"; }
bfield() { db show "$1" --json | jget "$2"; }

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_office "$A" a "$FL_URL" "$WORK/token" "$FL_AGENCY" "code_block = 1-4999"
fl_office "$B" b "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "code_block = 5000-8999" \
	"connect_timeout = 2" "total_timeout = 15"
"$BIN/dsgen" --count 3 --seed 7 --office "$FL_AGENCY" >"$WORK/d.jsonl"
while read -r l; do printf '%s' "$l" | da create - >>"$WORK/codes"; done <"$WORK/d.jsonl"
da sync >/dev/null && db sync >/dev/null || fail "first syncs"
C1=$(sed -n 1p "$WORK/codes"); C3=$(sed -n 3p "$WORK/codes")

# b pushes through the proxy; central applies, then the answer is cut (a lost receipt).
lost_answer() {
	fl_ctl reset down 0 >/dev/null
	expect 75 "b's push: the answer is lost" -- db sync
	fl_ctl pass >/dev/null
}
# The last journal entry of b, as "base parent".
last_entry() { db journal --json | python3 -c '
import json, sys
e = json.load(sys.stdin)[-1]; print(e["base"], e["parent"])'; }

# --- 1. lost receipt, then a second op on the same dossier
db update "$C1" --set 'summary="X của máy b"' >/dev/null
lost_answer
same "central applied b's summary" "$(cfield "$C1" summary)" "X của máy b"
da sync >/dev/null
same "a sees X" "$(da show "$C1" --json | jget summary)" "X của máy b"
da update "$C1" --set 'summary="Y của máy a"' >/dev/null
da sync >/dev/null
db transition "$C1" 4 --note "Chuyển xử lý" >/dev/null
same "b's transition rests on version 1 with the X op as parent" "$(last_entry)" "1 b:1"
expect 0 "b syncs: the X op is a duplicate, the transition a conflict" -- db sync --json
same "one conflict merged" "$(jget merged <"$WORK/out")" "1"
same "a's Y stands on central (b had seen X replaced)" "$(cfield "$C1" summary)" "Y của máy a"
same "b's transition kept" "$(cfield "$C1" status)" "4"
same "nothing left to a person" "$(db status --json | jget open_conflicts)" "0"
agree "$B" "$CDB" "$C1"

# --- 2. lost receipt of a create, then a change the province never touched
"$BIN/dsgen" --count 1 --seed 8 --office "$FL_AGENCY" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("code",None); d["due_at"]="2099-03-01T17:00:00+07:00"; print(json.dumps(d, ensure_ascii=False))' >"$WORK/new.json"
C2=$(db create "$WORK/new.json")
CREATE=$(db journal --json | jget -1.op_id)
lost_answer
same "central holds b's create" "$(cfield "$C2" due_at)" "2099-03-01T17:00:00+07:00"
db update "$C2" --set 'due_at="2099-04-01T17:00:00+07:00"' >/dev/null
same "b's change rests on version 0 with the create as parent" "$(last_entry)" "0 $CREATE"
cen transition "$C2" 4 --note "Tỉnh chuyển xử lý" >/dev/null
expect 0 "b syncs: the create is a duplicate, the due date a conflict" -- db sync --json
same "one conflict merged" "$(jget merged <"$WORK/out")" "1"
same "the office's due date stands (central never changed it)" "$(cfield "$C2" due_at)" \
	"2099-04-01T17:00:00+07:00"
same "the province's move stands" "$(cfield "$C2" status)" "4"
agree "$B" "$CDB" "$C2"

# --- 3. a clerk's edit while the push is in flight: the province replaces the value b's
# in-flight op wrote, b's clerk moves the dossier before the answer is back.
db update "$C3" --set 'summary="X gửi đi"' >/dev/null
fl_ctl latency 2000 >/dev/null
N0=$(fl_central_ops "$CDB")
NB=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM ops WHERE node = ?", ("b",)).fetchone()[0])' "$CDB")
db sync --json >"$WORK/s3.json" 2>"$WORK/s3.err" &
SP=$!
PIDS+=("$SP")
fl_wait_ops "$CDB" b $((NB + 1)) "$(now_ms)" 30000 >/dev/null
same "central applied the in-flight op" "$(cfield "$C3" summary)" "X gửi đi"
cen update "$C3" --set 'summary="Y của tỉnh"' >/dev/null
db transition "$C3" 4 >/dev/null
same "the clerk's move rests on version 1 with the in-flight op as parent" \
	"$(last_entry | cut -d' ' -f1)" "1"
fl_ctl pass >/dev/null
wait "$SP"
same "the sync with the edit in flight finished" "$?" "0"
[ "$(fl_central_ops "$CDB")" -gt "$N0" ] && pass || fail "b's ops reached central"
expect 0 "b syncs again" -- db sync
same "the province's summary stands" "$(cfield "$C3" summary)" "Y của tỉnh"
same "the clerk's move stands" "$(cfield "$C3" status)" "4"
agree "$B" "$CDB" "$C3"
# --- 4. a clerk's edit while b's merge op is in flight, and the merge op conflicts: the
# edit carries the row's older version as base, the merge op the version it merged. The
# ancestor is the merged version, so the summary the province replaced stays replaced.
C4=$(sed -n 2p "$WORK/codes")
cen update "$C4" --set 'summary="T của tỉnh"' >/dev/null
db update "$C4" --set 'applicant.phone="0912345678"' >/dev/null
merges() { sqlite3 "$B/agent.db" "SELECT count(*) FROM journal WHERE kind = 'merge'"; }
M0=$(merges)
fl_ctl latency 1500 >/dev/null
db sync >/dev/null 2>"$WORK/s4.err" &
SP=$!
PIDS+=("$SP")
wait_for "b merged and its merge op is on the way" 30 output_is "$((M0 + 1))" merges
cen update "$C4" --set 'summary="U thay T"' >/dev/null # before the merge op arrives
db transition "$C4" 4 >/dev/null                       # before its receipt is back
fl_ctl pass >/dev/null
wait "$SP"
expect 0 "b syncs again" -- db sync
same "the province's replacement stands" "$(cfield "$C4" summary)" "U thay T"
same "b's phone stands" "$(cfield "$C4" applicant.phone)" "0912345678"
same "b's move stands" "$(cfield "$C4" status)" "4"
agree "$B" "$CDB" "$C4"
expect 0 "b: verify" -- db verify
finish
