#!/usr/bin/env bash
# trust_tail.sh BIN: an office whose journal lost its last entries (cut with sqlite3, and
# history.git deleted) learns it from central's node_seq/node_hash on the next sync: `sync`
# exits 65 naming the restore procedure, `status` and `status --json` say the journal is
# behind, and nothing of central's echo is taken. A whole journal reads "ok"; one whose
# entry was rewritten (another hash than central holds) reads "forked".
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
A="$WORK/a"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5

central_fresh "$DB" $AG "$WORK/tok"
office_init "$A" $AG xa1 "$WORK/tok"
"$BIN/dsgen" --count 4 --seed 5 --office $AG >"$WORK/a.jsonl"
expect 0 "A imports 4 dossiers" -- "$DS" -d "$A" import "$WORK/a.jsonl"
expect 0 "A syncs" -- "$DS" -d "$A" sync
"$DS" -d "$A" status --json >"$WORK/s.json"
same "status: the journal is whole" "$(jget journal_tail.state <"$WORK/s.json")" ok
same "status: central holds 4" "$(jget journal_tail.central_seq <"$WORK/s.json")" 4

# --- the last two entries are cut, their receipts too, and history.git is gone
sqlite3 "$A/agent.db" "DROP TRIGGER journal_no_delete; DELETE FROM op_state WHERE seq > 2;
	DELETE FROM journal WHERE seq > 2;"
rm -rf "$A/history.git"
inbox_before=$(sqlite3 "$A/agent.db" "SELECT count(*) FROM inbox")
expect 65 "sync finds the journal behind central" -- "$DS" -d "$A" sync
expect_err "this office's journal is behind central: central holds entries 1-4 of node xa1, this journal ends at 2"
expect_err "docs/OPERATIONS.md, \"Restore from central after a lost disk\""
same "nothing pulled while behind" "$(sqlite3 "$A/agent.db" "SELECT count(*) FROM inbox")" \
	"$inbox_before"
"$DS" -d "$A" status --json >"$WORK/s.json"
same "status --json: behind" "$(jget journal_tail.state <"$WORK/s.json")" behind
same "status --json: central's seq" "$(jget journal_tail.central_seq <"$WORK/s.json")" 4
if jget journal_tail.message <"$WORK/s.json" | grep -qF "Restore from central"; then pass; else
	fail "status --json should carry the restore line"; fi
expect 0 "status" -- "$DS" -d "$A" status
expect_out "!!! JOURNAL BEHIND CENTRAL: this office's journal is behind central"
expect 65 "a second sync says it again" -- "$DS" -d "$A" sync
expect_err "is behind central"

# --- a new office on the same central: its whole journal reads ok after push and pull
office_init "$WORK/b" $AG xb1 "$WORK/tok" 4001-8999
"$BIN/dsgen" --count 1 --seed 6 --office $AG >"$WORK/b.jsonl"
"$DS" -d "$WORK/b" import "$WORK/b.jsonl" >/dev/null
expect 0 "B syncs" -- "$DS" -d "$WORK/b" sync
"$DS" -d "$WORK/b" status --json >"$WORK/s.json"
same "B: ok" "$(jget journal_tail.state <"$WORK/s.json")" ok
same "B: central holds 1" "$(jget journal_tail.central_seq <"$WORK/s.json")" 1
"$DS" -d "$WORK/b" update "$(office_codes "$WORK/b" | sed -n 1p)" --set 'summary="Hồ sơ B"' >/dev/null
expect 0 "B syncs a second op" -- "$DS" -d "$WORK/b" sync
"$DS" -d "$WORK/b" status --json >"$WORK/s.json"
same "B: central's seq follows" "$(jget journal_tail.central_seq <"$WORK/s.json")" 2

# --- an entry rewritten (its hash no longer the one central holds): forked
sqlite3 "$WORK/b/agent.db" "DROP TRIGGER journal_no_update;
	UPDATE journal SET hash = '$(printf 'f%.0s' $(seq 64))' WHERE seq = 2"
expect 65 "sync finds the journal forked from central" -- "$DS" -d "$WORK/b" sync
expect_err "this office's journal has forked from central: entry 2 of node xb1 differs"
"$DS" -d "$WORK/b" status --json >"$WORK/s.json"
same "status --json: forked" "$(jget journal_tail.state <"$WORK/s.json")" forked
expect 0 "status" -- "$DS" -d "$WORK/b" status
expect_out "!!! JOURNAL FORKED FROM CENTRAL"
finish
