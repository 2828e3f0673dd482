#!/usr/bin/env bash
# conflicts.sh: an office and the province change the same dossiers while apart. Edits of
# different fields merge; the same field is settled by who owns it; two different status
# moves wait for a person and are resolved; a chain of offline edits central never saw
# goes through without a conflict; history.git is rebuilt after it is deleted.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
O="$WORK/office"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5
ds() { "$DS" -d "$O" --actor "Trần Thị Thu" "$@"; }
cen() { "$CEN" --db "$DB" --actor "Sở Tư pháp" "$@"; }
field() { ds show "$1" --json | jget "$2"; }

cen init >/dev/null
cen token add --office $AG >"$WORK/tok"
central_start "$DB"
office_init "$O" $AG xa1 "$WORK/tok"
"$BIN/dsgen" --count 5 --seed 11 --office $AG >"$WORK/d.jsonl"
while read -r l; do printf '%s' "$l" | ds create - >>"$WORK/codes"; done <"$WORK/d.jsonl"
ds sync >/dev/null
C1=$(sed -n 1p "$WORK/codes"); C2=$(sed -n 2p "$WORK/codes"); C3=$(sed -n 3p "$WORK/codes")
C4=$(sed -n 4p "$WORK/codes"); C5=$(sed -n 5p "$WORK/codes")

# --- different fields: merged, no conflict
ds update "$C1" --set 'applicant.phone="0911222333"' >/dev/null
cen update "$C1" --set 'due_at="2099-01-31T17:00:00+07:00"' >/dev/null
expect 0 "sync: different fields" -- ds sync --json
same "merged without asking anyone" "$(jget queued <"$WORK/out")" "0"
same "office's phone kept" "$(field "$C1" applicant.phone)" "0911222333"
same "province's due date kept" "$(field "$C1" due_at)" "2099-01-31T17:00:00+07:00"
agree "$O" "$DB" "$C1"

# --- the same field: the owner wins (the counter owns the applicant, central the due date)
ds update "$C2" --set 'applicant.phone="0911000001"' --set 'due_at="2099-02-01T17:00:00+07:00"' >/dev/null
cen update "$C2" --set 'applicant.phone="0911000002"' --set 'due_at="2099-02-02T17:00:00+07:00"' >/dev/null
expect 0 "sync: same fields, history caught up" -- ds sync --history
same "the counter's phone wins" "$(field "$C2" applicant.phone)" "0911000001"
same "central's due date wins" "$(field "$C2" due_at)" "2099-02-02T17:00:00+07:00"
same "no conflict queued" "$(ds status --json | jget open_conflicts)" "0"
agree "$O" "$DB" "$C2"
GD=$(git --git-dir="$O/history.git" log --format=%B local)
case "$GD" in *"$C2 applicant.phone: owner:office"*) pass ;; *) fail "decision recorded in the merge commit: $GD" ;; esac
case "$GD" in *"$C2 due_at: owner:central"*) pass ;; *) fail "central's decision recorded: $GD" ;; esac

# --- a policy from the config overrides the owner
echo "policy.applicant.phone = theirs" >>"$O/config"
ds update "$C5" --set 'applicant.phone="0911000005"' >/dev/null
cen update "$C5" --set 'applicant.phone="0911000006"' >/dev/null
expect 0 "sync with policy theirs" -- ds sync
same "configured policy: central wins the phone" "$(field "$C5" applicant.phone)" "0911000006"
agree "$O" "$DB" "$C5"
sed -i '/^policy.applicant.phone/d' "$O/config"

# --- two different status moves: a person decides
ds transition "$C3" 4 --note "Chuyển cán bộ" >/dev/null
cen transition "$C3" 6 --note "Chờ nộp lệ phí" >/dev/null
ds update "$C3" --set 'summary="Bổ sung khi chờ"' >/dev/null
expect 0 "sync: two status moves" -- ds sync --json
same "one field queued" "$(jget queued <"$WORK/out")" "1"
expect 0 "conflicts --json" -- ds conflicts --json
same "queued field" "$(jget 0.field <"$WORK/out")" "status"
same "queued ours" "$(jget 0.ours <"$WORK/out")" "4"
same "queued theirs" "$(jget 0.theirs <"$WORK/out")" "6"
same "queued ancestor" "$(jget 0.ancestor <"$WORK/out")" "2"
same "the other field still synced" "$("$CEN" --db "$DB" show "$C3" --json | jget summary)" "Bổ sung khi chờ"
same "status counts it" "$(ds status --json | jget open_conflicts)" "1"
ds status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if isinstance(s["oldest_conflict_age_s"], int) else 1)' && pass || fail "status shows the oldest conflict's age"
same "show marks it" "$(field "$C3" sync)" "conflict"
# other dossiers keep syncing while the field waits
ds update "$C4" --set 'summary="vẫn đồng bộ"' >/dev/null
expect 0 "sync while a conflict is open" -- ds sync
agree "$O" "$DB" "$C4"
expect 65 "resolve an unknown field" -- ds resolve "$C3" applicant.name --ours
expect_err "no open conflict"
expect 64 "resolve without a choice" -- ds resolve "$C3" status
expect 0 "resolve --ours" -- ds resolve "$C3" status --ours
same "queue empty" "$(ds conflicts --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "0"
expect 0 "sync the decision" -- ds sync
same "the office's move stands" "$(field "$C3" status)" "4"
agree "$O" "$DB" "$C3"
ds journal --json | python3 -c 'import json,sys; sys.exit(0 if any(e["kind"]=="resolve" and e["sync"]=="applied" for e in json.load(sys.stdin)) else 1)' && pass || fail "the resolution is a journal entry central applied"

# --- a chain of offline edits central never saw: no conflict at all
central_stop TERM
ds update "$C4" --set 'applicant.phone="0912000001"' >/dev/null
ds update "$C4" --set 'applicant.phone="0912000002"' >/dev/null
ds transition "$C4" 4 >/dev/null
ds transition "$C4" 5 --note "Thiếu giấy tờ" >/dev/null
expect 75 "offline" -- ds sync
central_start "$DB"
expect 0 "the chain goes up" -- ds sync --json
same "four applied" "$(jget applied <"$WORK/out")" "4"
same "no conflict" "$(jget conflict <"$WORK/out")" "0"
agree "$O" "$DB" "$C4"

# --- history: read by stock git, listed by `log`, rebuilt when deleted
expect 0 "log" -- ds log "$C3"
expect_out "local"
git --git-dir="$O/history.git" log --oneline local >/dev/null && pass || fail "stock git reads history.git"
expect 0 "verify checks history too" -- ds verify
rm -rf "$O/history.git"
expect 0 "verify does not mind a deleted history" -- ds verify
expect_out "history.git is missing: the next sync rebuilds it"
[ -e "$O/history.git" ] && fail "verify wrote history.git" || pass
expect 0 "sync --history rebuilds a deleted history" -- ds sync --history
[ -d "$O/history.git" ] && pass || fail "history.git rebuilt"
expect 0 "verify checks the rebuilt history" -- ds verify
expect_out "history agrees with the replay of the journal and inbox"
git --git-dir="$O/history.git" show "local:$AG/$(echo "$C4" | cut -d- -f2)/$C4" >/dev/null 2>&1 && pass || fail "the rebuilt history holds $C4"
sqlite3 "$O/agent.db" "UPDATE dossiers SET body = replace(body, 'Thiếu giấy tờ', 'sửa tay') WHERE code = '$C4'"
expect 65 "verify names a row that differs from the replay" -- ds verify
expect_err "$C4: the row differs from the journal and inbox at "
expect_out "$C4: the row differs from the journal and inbox at "
finish
