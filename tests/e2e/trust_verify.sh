#!/usr/bin/env bash
# trust_verify.sh BIN: a clerk with shell access edits a dossier row with sqlite3 while its
# op is still pending. `verify` writes nothing (agent.db's content and every file of
# history.git stay the same: no sync left history behind), exits 65 and names the dossier
# and the first differing field; the next sync's history catch-up commits the replay of
# the journal to history.git, never the row.
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
"$BIN/dsgen" --count 3 --seed 9 --office $AG >"$WORK/a.jsonl"
expect 0 "A imports 3 dossiers" -- "$DS" -d "$A" import "$WORK/a.jsonl"
expect 0 "A syncs" -- "$DS" -d "$A" sync
C1=$(office_codes "$A" | sed -n 1p)
C2=$(office_codes "$A" | sed -n 2p)
expect 0 "a whole store verifies" -- "$DS" -d "$A" verify
expect_out "dossier rows agree with the replay of the journal and inbox"
expect_out "history agrees with the replay of the journal and inbox"

# --- a pending op, then the row edited behind the agent's back
expect 0 "a clerk changes the phone" -- "$DS" -d "$A" update "$C1" --set 'applicant.phone="0911222333"'
sqlite3 "$A/agent.db" "UPDATE dossiers SET body = json_set(body, '\$.applicant.name', 'Kẻ Giả Mạo')
	WHERE code = '$C1'"
snapshot() {
	sqlite3 "$A/agent.db" .dump | md5sum
	(cd "$A/history.git" && find . -type f -exec md5sum {} + | sort)
}
snapshot >"$WORK/before"
expect 65 "verify finds the forged row" -- "$DS" -d "$A" verify
expect_err "1 dossier row differs from the replay of the journal and inbox"
expect_out "$C1: the row differs from the journal and inbox at applicant.name"
snapshot >"$WORK/after"
same "verify wrote nothing" "$(diff "$WORK/before" "$WORK/after" && echo none)" none
history_field() { # history_field CODE PATH: a field of a dossier on the local branch
	git --git-dir="$A/history.git" show "local:$AG/$(echo "$1" | cut -d- -f2)/$1/$2" | jget ""
}
history_name() { history_field "$1" applicant/name; }
same "history still holds the name before" "$(history_name "$C1")" \
	"$(sed -n 1p "$WORK/a.jsonl" | jget applicant.name)"

# --- a row of a dossier that has no source, and one deleted
FAKE=${C2%-*}-0777
sqlite3 "$A/agent.db" "INSERT INTO dossiers(code, agency, status, body) SELECT '$FAKE',
	agency, status, replace(body, '$C2', '$FAKE') FROM dossiers WHERE code = '$C2'"
sqlite3 "$A/agent.db" "DELETE FROM dossiers WHERE code = '$C2'"
expect 65 "verify finds the made-up and the missing rows" -- "$DS" -d "$A" verify
expect_err "3 dossier rows differ"
expect_out "$C2: no row, though the journal and inbox hold the dossier"
expect_out "$FAKE: the row has no source in the journal or the inbox"

# --- the sync's history catch-up commits the replay, not the forged row
expect 0 "A syncs, history caught up" -- "$DS" -d "$A" sync --history
same "history holds the phone of the op" "$(history_field "$C1" applicant/phone)" 0911222333
same "history does not take the forged name" "$(history_name "$C1")" \
	"$(sed -n 1p "$WORK/a.jsonl" | jget applicant.name)"
same "central took the op, not the row" \
	"$("$CEN" --db "$DB" show "$C1" --json | jget applicant.name)" \
	"$(sed -n 1p "$WORK/a.jsonl" | jget applicant.name)"
expect 65 "the forged row is still reported" -- "$DS" -d "$A" verify
expect_out "$C1: the row differs from the journal and inbox at applicant.name"
finish
