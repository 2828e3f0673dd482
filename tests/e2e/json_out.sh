#!/usr/bin/env bash
# json_out.sh: every command an app drives takes --json and prints one JSON document on
# stdout: init, create (from a file and from stdin: `create --json FILE` is no longer
# read as a file called "--json"), update, transition, extend, import, verify (also when it
# fails), show, list, status. A bad option is one error line and exit 64.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=0
ds() { "$DS" -d "$D" --actor lan "$@"; }
# is_json WHAT: stdout of the last expect is one JSON document.
is_json() {
	if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out" 2>/dev/null
	then pass; else fail "$1: stdout is not one JSON document: $(head -c 300 "$WORK/out")"; fi
}

expect 0 "init --json" -- ds init --json --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1
is_json "init"
same "init: node" "$(jget node <"$WORK/out")" "xa1"
same "init: office" "$(jget office <"$WORK/out")" "000.00.12.H22"

expect 0 "create --json FILE" -- ds create --json "$E2E_DATA/birth.json"
is_json "create"
C1=$(jget code <"$WORK/out")
same "create: the allocated code" "$C1" "000.00.12.H22-240414-0001"
same "create: sync" "$(jget sync <"$WORK/out")" "pending"
same "create: status" "$(jget status <"$WORK/out")" "2"
expect 0 "create --json from stdin" -- bash -c "\"$DS\" -d \"$D\" create --json - <\"$E2E_DATA/residence.json\""
is_json "create from stdin"
C2=$(jget code <"$WORK/out")
expect 0 "create FILE without --json prints the code" -- ds create "$E2E_DATA/birth.json"
same "plain create" "$(cat "$WORK/out")" "000.00.12.H22-240414-0002"

expect 0 "update --json" -- ds update "$C1" --set 'applicant.phone="0912000111"' --json
is_json "update"
same "update: the new value" "$(jget applicant.phone <"$WORK/out")" "0912000111"
expect 0 "transition --json" -- ds transition "$C1" 4 --note "chuyển xử lý" --json
is_json "transition"
same "transition: status" "$(jget status <"$WORK/out")" "4"
expect 0 "extend --json" -- ds extend "$C2" --due 2099-05-21T17:00:00+07:00 --reason "chờ xác minh" --json
is_json "extend"
same "extend: due_at" "$(jget due_at <"$WORK/out")" "2099-05-21T17:00:00+07:00"
same "extend: original_due_at" "$(jget original_due_at <"$WORK/out")" "2099-04-21T17:00:00+07:00"

"$BIN/dsgen" --count 3 --seed 4 --office 000.00.12.H22 >"$WORK/d.jsonl"
expect 0 "import --json" -- ds import --json "$WORK/d.jsonl"
is_json "import"
same "import: count" "$(jget imported <"$WORK/out")" "3"

for q in "show $C1" list status journal; do
	expect 0 "$q --json" -- ds $q --json
	is_json "$q"
done
expect 0 "verify --json" -- ds verify --json
is_json "verify"
same "verify: ok" "$(jget ok <"$WORK/out")" "True"
same "verify: journal entries" "$(jget journal_entries <"$WORK/out")" "9"
same "verify: no row differs" "$(jget rows_differ <"$WORK/out")" "[]"

# --- a row changed behind the journal's back: verify --json says so and exits 65
sqlite3 "$D/agent.db" "UPDATE dossiers SET body = json_set(body, '$.summary', 'sửa lén') WHERE code = '$C1'"
expect 65 "verify --json on a tampered row" -- ds verify --json
is_json "verify, failing"
same "verify: not ok" "$(jget ok <"$WORK/out")" "False"
same "verify: the row named" "$(jget rows_differ.0 <"$WORK/out" | cut -c1-25)" "$C1"
expect_err "differs from the replay"

# --- a bad option: exit 64, one line (getopt's own message is not printed)
for cmd in "create --bogus" "update $C1 --bogus" "import --bogus" "verify --bogus" "init --bogus"; do
	expect 64 "$cmd" -- ds $cmd
	expect_err "unknown option"
done
finish
