#!/usr/bin/env bash
# limits.sh: the size limits of a dossier at the office's command line (issue 10): create,
# update and transition refuse a dossier over a limit with exit 65 and one line naming the
# field, and write nothing; `show` prints a dash, never "(null)", for a field a stored state
# lacks.
BIN=$1
. "$(dirname "$0")/lib.sh"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=0
ds() { "$BIN/dossync" -d "$D" --actor lan "$@"; }
jsum() { ds journal --json | sha256sum | cut -c1-64; }
# big FIELD CHARS: birth.json with FIELD (summary) set to CHARS characters "ạ".
big() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d[sys.argv[2]] = "ạ" * int(sys.argv[3])
print(json.dumps(d, ensure_ascii=False))' "$E2E_DATA/birth.json" "$1" "$2" >"$WORK/big.json"
}

expect 0 "init" -- ds init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1
J0=$(jsum)
big summary $((4 << 20))
expect 65 "create with a 4 MB summary" -- ds create "$WORK/big.json"
expect_err "summary: at most 2000 characters"
same "nothing written" "$(jsum)" "$J0"
same "no dossier" "$(ds list --json)" "[]"
big summary 2000
expect 0 "create with a summary at the limit" -- ds create "$WORK/big.json"
CODE=$(cat "$WORK/out")
J1=$(jsum)
expect 65 "update past the limit" -- ds update "$CODE" --set "summary=\"$(python3 -c 'print("ạ" * 2001)')\""
expect_err "summary: at most 2000 characters (got 2001)"
same "nothing written by the update" "$(jsum)" "$J1"

# A dossier a little under 256 KiB: a transition whose row carries a long note goes over.
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
size = lambda: len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode())
d["components"] = []
while size() < 256000:
    d["components"].append({"id": "tp%d" % len(d["components"]), "name": "ạ" * 500})
d["components"].append({"id": "tpz", "name": "ạ" * ((258000 - size() - 30) // 3)})
print(json.dumps(d, ensure_ascii=False))' "$E2E_DATA/birth.json" >"$WORK/near.json"
expect 0 "create just under 256 KiB" -- ds create "$WORK/near.json"
NEAR=$(cat "$WORK/out")
J2=$(jsum)
expect 65 "transition past 256 KiB" -- ds transition "$NEAR" 4 --note "$(python3 -c 'print("ạ" * 1900)')"
expect_err "components: the dossier is "
expect_err "more than the 262144 allowed"
same "nothing written by the transition" "$(jsum)" "$J2"
same "status kept" "$(ds show "$NEAR" --json | jget status)" 2
expect 0 "a short transition still fits" -- ds transition "$NEAR" 4

# show: a field missing from the stored state prints as a dash.
sqlite3 "$D/agent.db" "UPDATE dossiers SET body = json_remove(body, '$.procedure.name', '$.due_at') WHERE code = '$CODE'"
expect 0 "show a state lacking fields" -- ds show "$CODE"
grep -q "(null)" "$WORK/out" && fail "show printed (null): $(cat "$WORK/out")" || pass
expect_out "procedure  1.001193 -"
expect_out "due        -"
finish
