#!/usr/bin/env bash
# trust_pull.sh BIN: an office pulls from a central that lies (hostile_central.py). A page
# with a state under another code, of another agency, that fails validation, with an
# absurd version, a version not newer than the inbox's, a cursor not past the one asked
# from, or one bad change after a good one is refused whole: nothing stored, `sync` exits
# 65, `status` names the change and the check; a good page afterwards goes through.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
AG=000.00.12.H22
OTHER=000.00.12.H40
PAGE="$WORK/page.json"
export DOSSYNC_LOCK_WAIT=5

# --- real dossier states, made by scratch offices (their central is never asked)
echo tok >"$WORK/tok"
"$DS" -d "$WORK/s1" init --office $AG --central http://127.0.0.1:9 --token-file "$WORK/tok" >/dev/null
"$DS" -d "$WORK/s2" init --office $OTHER --central http://127.0.0.1:9 --token-file "$WORK/tok" >/dev/null
"$BIN/dsgen" --count 2 --seed 11 --office $AG >"$WORK/a.jsonl"
"$BIN/dsgen" --count 1 --seed 12 --office $OTHER >"$WORK/o.jsonl"
"$DS" -d "$WORK/s1" import "$WORK/a.jsonl" >/dev/null
"$DS" -d "$WORK/s2" import "$WORK/o.jsonl" >/dev/null
C1=$(office_codes "$WORK/s1" | sed -n 1p)
C2=$(office_codes "$WORK/s1" | sed -n 2p)
C3=$(office_codes "$WORK/s2" | sed -n 1p)
"$DS" -d "$WORK/s1" show "$C1" --json | canon >"$WORK/st1"
"$DS" -d "$WORK/s1" show "$C2" --json | canon >"$WORK/st2"
"$DS" -d "$WORK/s2" show "$C3" --json | canon >"$WORK/st3"

# page NEXT CHANGE...: writes the page; each CHANGE is "cursor code version statefile [edit]"
# where edit is python applied to the state s (e.g. 's["status"] = 99').
page() {
	python3 - "$PAGE" "$@" <<'EOF'
import json, sys
out, nxt, changes = sys.argv[1], int(sys.argv[2]), []
for spec in sys.argv[3:]:
    cur, code, ver, path, *edit = spec.split(" ", 4)
    s = json.load(open(path))
    if edit:
        exec(edit[0])
    changes.append({"cursor": int(cur), "code": code, "version": int(ver),
                    "op_id": "xb1:1", "node": "xb1", "state": s})
json.dump({"changes": changes, "next": nxt, "more": False}, open(out, "w"), ensure_ascii=False)
EOF
}
inbox_n() { sqlite3 "$WORK/o/agent.db" "SELECT count(*) FROM inbox"; }
rows_n() { sqlite3 "$WORK/o/agent.db" "SELECT count(*) FROM dossiers"; }

page 0
python3 "$(dirname "$0")/hostile_central.py" "$WORK/port" "$PAGE" &
PIDS+=($!)
wait_for "the hostile central writes its port" 5 test -s "$WORK/port" || finish
CENTRAL_URL="http://127.0.0.1:$(cat "$WORK/port")"
office_init "$WORK/o" $AG xa1 "$WORK/tok"

# refused WHAT WORDS: the sync is refused naming WORDS, and nothing was stored.
refused() {
	local before_i before_r
	before_i=$(inbox_n)
	before_r=$(rows_n)
	expect 65 "$1 is refused" -- "$DS" -d "$WORK/o" sync
	expect_err "$2"
	expect_err "nothing of it was stored"
	same "$1: inbox unchanged" "$(inbox_n)" "$before_i"
	same "$1: rows unchanged" "$(rows_n)" "$before_r"
	"$DS" -d "$WORK/o" status --json >"$WORK/status.json"
	if grep -qF -- "$2" "$WORK/status.json"; then pass; else
		fail "$1: status should name '$2': $(jget last_error <"$WORK/status.json")"; fi
}

# --- bad pages before anything was stored
page 1 "1 $C1 1 $WORK/st2"
refused "a state under another code" "change 1 of the page ($C1, cursor 1): its state is dossier $C2, not $C1"
page 1 "1 $C3 1 $WORK/st3"
refused "a dossier of another agency" "its dossier belongs to agency $OTHER, not this office ($AG)"
page 1 "1 $C1 1 $WORK/st1 s[\"status\"] = 99"
refused "a state with status 99" "its state is not a valid dossier"
page 1 "1 $C1 1 $WORK/st1 s[\"smuggled\"] = 1"
refused "a state with an unknown field" "its state is not a valid dossier"
page 1 "1 $C1 4611686018427387904 $WORK/st1"
refused "version 2^62" "its version 4611686018427387904 is out of range"
page 2 "1 $C1 1 $WORK/st1" "2 $C2 1 $WORK/st2 s[\"status\"] = 99"
refused "a good change then a bad one" "change 2 of the page ($C2, cursor 2)"
page 2 "1 $C1 1 $WORK/st1" "2 $C1 1 $WORK/st1"
refused "the same version twice in a page" "its version 1 is not newer than version 1"

# --- a good page goes through, then bad ones about what is stored, then good again
page 2 "1 $C1 1 $WORK/st1" "2 $C2 1 $WORK/st2"
expect 0 "a good page is taken" -- "$DS" -d "$WORK/o" sync
same "inbox holds the good page" "$(inbox_n)" 2
"$DS" -d "$WORK/o" status --json >"$WORK/status.json"
same "status: no error after the good page" "$(jget last_error <"$WORK/status.json")" None
page 3 "3 $C1 1 $WORK/st1 s[\"summary\"] = \"đổi\""
refused "a version already stored" "its version 1 is not newer than version 1 already received"
page 3 "2 $C1 2 $WORK/st1"
refused "a cursor not past the one asked from" "its cursor 2 is not after 2"
page 3 "3 $C1 2 $WORK/st1 s[\"summary\"] = \"Đã đổi\""
expect 0 "a good page after the refusals is taken" -- "$DS" -d "$WORK/o" sync
same "inbox grew by one" "$(inbox_n)" 3
same "the row took version 2" \
	"$(sqlite3 "$WORK/o/agent.db" "SELECT version FROM dossiers WHERE code = '$C1'")" 2
expect 0 "verify after it all" -- "$DS" -d "$WORK/o" verify
finish
