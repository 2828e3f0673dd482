#!/usr/bin/env bash
# two_pcs.sh: two PCs of one office change the same field without seeing each other's act
# (issue 11). The merge keeps the later act by its true time, whichever PC merges and
# whoever owns the field, and its record names the value it replaced; with
# `peer_edits = manual` such a field waits for a person instead.
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
A=$WORK/a
B=$WORK/b
cen() { "$DSC" --db "$CDB" "$@"; }
da() { "$DS" -d "$A" --actor "Lan" "$@"; }
db() { "$DS" -d "$B" --actor "Minh" "$@"; }
cfield() { cen show "$1" --json | jget "$2"; }
# The scenario: occurred_at has whole seconds, so two acts a tick apart are ordered.
tick() { sleep 1.1; }

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
fl_central_start "$CDB"
fl_proxy_start
fl_office "$A" a "$FL_URL" "$WORK/token" "$FL_AGENCY" "code_block = 1-4999"
fl_office "$B" b "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "code_block = 5000-8999" \
	"connect_timeout = 2" "total_timeout = 10"
"$BIN/dsgen" --count 3 --seed 5 --office "$FL_AGENCY" >"$WORK/d.jsonl"
while read -r l; do printf '%s' "$l" | da create - >>"$WORK/codes"; done <"$WORK/d.jsonl"
da sync >/dev/null && db sync >/dev/null || fail "first syncs"
C1=$(sed -n 1p "$WORK/codes"); C2=$(sed -n 2p "$WORK/codes"); C3=$(sed -n 3p "$WORK/codes")
merge_note() { git --git-dir="$B/history.git" log --format=%B local; }

# --- 1. b's act is older: a's later act stands although b merges and the office owns the
# summary (owner:office alone kept b's older value)
fl_ctl refuse >/dev/null
db update "$C1" --set 'summary="B cũ hơn"' --set 'due_at="2099-05-01T17:00:00+07:00"' >/dev/null
tick
da update "$C1" --set 'summary="A mới hơn"' --set 'due_at="2099-06-01T17:00:00+07:00"' >/dev/null
da sync >/dev/null
fl_ctl pass >/dev/null
expect 0 "b syncs and merges" -- db sync --history --json
same "one merge" "$(jget merged <"$WORK/out")" "1"
same "a's later summary stands" "$(cfield "$C1" summary)" "A mới hơn"
same "a's later due date stands" "$(cfield "$C1" due_at)" "2099-06-01T17:00:00+07:00"
same "nobody asked" "$(db status --json | jget open_conflicts)" "0"
agree "$B" "$CDB" "$C1"
case "$(merge_note)" in *"$C1 summary: later-act"*'replaced "B cũ hơn"'*) pass ;;
*) fail "the merge record names the replaced summary: $(merge_note | head -5)" ;; esac

# --- 2. b's act is the later one: b's value stands, even for a field central owns
fl_ctl refuse >/dev/null
da update "$C2" --set 'summary="A trước"' --set 'due_at="2099-07-01T17:00:00+07:00"' >/dev/null
da sync >/dev/null
tick
db update "$C2" --set 'summary="B sau"' --set 'due_at="2099-08-01T17:00:00+07:00"' >/dev/null
fl_ctl pass >/dev/null
expect 0 "b syncs and merges" -- db sync --history
same "b's later summary stands" "$(cfield "$C2" summary)" "B sau"
same "b's later due date stands" "$(cfield "$C2" due_at)" "2099-08-01T17:00:00+07:00"
case "$(merge_note)" in *"$C2 due_at: later-act"*'replaced "2099-07-01T17:00:00+07:00"'*) pass ;;
*) fail "the merge record names the replaced due date: $(merge_note | head -5)" ;; esac
expect 0 "a takes the merge" -- da sync
agree "$A" "$CDB" "$C2"

# --- 3. peer_edits = manual: the field waits for a person; central keeps a's value
echo "peer_edits = manual" >>"$B/config"
fl_ctl refuse >/dev/null
db update "$C3" --set 'summary="B hỏi người"' >/dev/null
tick
da update "$C3" --set 'summary="A hỏi người"' >/dev/null
da sync >/dev/null
fl_ctl pass >/dev/null
expect 0 "b syncs" -- db sync --json
same "one field queued" "$(jget queued <"$WORK/out")" "1"
expect 0 "conflicts --json" -- db conflicts --json
same "queued field" "$(jget 0.field <"$WORK/out")" "summary"
same "queued ours" "$(jget 0.ours <"$WORK/out")" "B hỏi người"
case "$(jget 0.reason <"$WORK/out")" in *"two PCs"*) pass ;; *) fail "reason: $(cat "$WORK/out")" ;; esac
same "central keeps a's value meanwhile" "$(cfield "$C3" summary)" "A hỏi người"
expect 0 "a person picks b's value" -- db resolve "$C3" summary --ours
expect 0 "sync the decision" -- db sync
same "the person's choice stands" "$(cfield "$C3" summary)" "B hỏi người"
agree "$B" "$CDB" "$C3"
echo "peer_edits = sometimes" >>"$B/config"
expect 65 "a bad peer_edits value is refused" -- db status
expect_err "peer_edits"
sed -i '/^peer_edits = sometimes/d' "$B/config"
expect 0 "b: verify" -- db verify
finish
