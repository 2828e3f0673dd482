#!/usr/bin/env bash
# import.sh: `dossync import` as an office bringing in its register would use it: a good
# file (count, codes, one journal entry each, verify), and every bad file (a bad line, an
# invalid JSON line, a duplicate code, not an object...) refused with its line number
# and exit 65 while the journal, the dossiers and the code counter stay as they were.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=0
ds() { "$DS" -d "$D" --actor lan "$@"; }
jsum() { ds journal --json | sha256sum | cut -c1-64; }
count() { ds list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# Writes lines of a dsgen file, with line N replaced by a python expression on the dossier d.
mutate() { # mutate IN OUT LINE PYTHON-STATEMENT
	python3 - "$@" <<'PY'
import json, sys
src, out, n, stmt = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
lines = open(src, encoding="utf-8").read().splitlines()
d = json.loads(lines[n - 1]); exec(stmt)
lines[n - 1] = json.dumps(d, ensure_ascii=False)
open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
}

expect 0 "init" -- ds init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1

# --- a good register: 50 dossiers over three days (20 a day), codes allocated
"$BIN/dsgen" --count 50 --per-day 20 --seed 7 >"$WORK/good.jsonl"
expect 0 "import a good file" -- ds import "$WORK/good.jsonl"
expect_out "imported 50 dossiers"
same "dossiers listed" "$(count)" 50
ds list --json >"$WORK/list.json"
python3 - "$WORK/list.json" <<'PY' && pass || fail "codes are 251129-0001..0020, 251130-0001..0020, 251201-0001..0010"
import json, sys
got = sorted(r["code"] for r in json.load(open(sys.argv[1])))
want = sorted([f"000.00.12.H22-251129-{i:04d}" for i in range(1, 21)] +
              [f"000.00.12.H22-251130-{i:04d}" for i in range(1, 21)] +
              [f"000.00.12.H22-251201-{i:04d}" for i in range(1, 11)])
sys.exit(0 if got == want else 1)
PY
ds journal --json >"$WORK/journal.json"
python3 - "$WORK/journal.json" "$WORK/good.jsonl" <<'PY' && pass || fail "one create entry per line, in file order, seq 1..50"
import json, sys
j = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert [e["seq"] for e in j] == list(range(1, 51)), "seqs"
assert all(e["kind"] == "create" and e["actor"] == "lan" for e in j), "kind/actor"
assert [e["op_id"] for e in j] == [f"xa1:{i}" for i in range(1, 51)], "op ids"
assert [e["payload"]["applicant"]["id_number"] for e in j] == \
       [l["applicant"]["id_number"] for l in lines], "file order"
assert all(e["sync"] == "pending" for e in j), "pending"
PY
expect 0 "verify after import" -- ds verify
expect_out "50 entries"
CODE7=000.00.12.H22-251129-0007
WANT_NAME=$(sed -n 7p "$WORK/good.jsonl" | jget applicant.name)
same "line 7 is dossier 0007" "$(ds show "$CODE7" --json | jget applicant.name)" "$WANT_NAME"
same "defaults filled" "$(ds show "$CODE7" --json | jget agency)" "000.00.12.H22"

# --- from standard input, with CRLF line ends and blank lines
"$BIN/dsgen" --count 3 --seed 8 --date 2025-12-10 | sed 's/$/\r/' >"$WORK/crlf.jsonl"
printf '\n  \n' >>"$WORK/crlf.jsonl"
expect 0 "import from stdin (CRLF, blank lines)" -- bash -c "\"$DS\" -d \"$D\" import - <\"$WORK/crlf.jsonl\""
expect_out "imported 3 dossiers"
same "dossiers after stdin import" "$(count)" 53

# --- bad files: nothing written
BEFORE=$(jsum)
mutate "$WORK/good.jsonl" "$WORK/bad3.jsonl" 3 'd["applicant"]["id_number"] = "12345"'
expect 65 "a bad line 3" -- ds import "$WORK/bad3.jsonl"
expect_err "line 3: "
expect_err "applicant.id_number"
same "journal unchanged after a bad line 3" "$(jsum)" "$BEFORE"
same "no dossier added after a bad line 3" "$(count)" 53

# The lines before the bad one were not kept, not even their codes: the file, fixed,
# imports with the same codes a clean import would give.
"$BIN/dsgen" --count 4 --seed 9 --date 2025-12-20 >"$WORK/day20.jsonl"
mutate "$WORK/day20.jsonl" "$WORK/day20bad.jsonl" 4 'd["received_at"] = "yesterday"'
expect 65 "a bad last line" -- ds import "$WORK/day20bad.jsonl"
expect_err "line 4: received_at"
expect 0 "the fixed file" -- ds import "$WORK/day20.jsonl"
same "codes start at 0001 after the refused import" \
	"$(ds list --json | python3 -c 'import json,sys; print(" ".join(sorted(r["code"][-11:] for r in json.load(sys.stdin) if "-251220-" in r["code"])))')" \
	"251220-0001 251220-0002 251220-0003 251220-0004"
BEFORE=$(jsum)
N=$(count)

: >"$WORK/empty.jsonl"
expect 0 "an empty file" -- ds import "$WORK/empty.jsonl"
expect_out "imported 0 dossiers"
same "journal unchanged after an empty file" "$(jsum)" "$BEFORE"

"$BIN/dsgen" --count 1 --seed 3 --date 2025-12-15 >"$WORK/one.jsonl"
{ cat "$WORK/one.jsonl"; echo '{"procedure": {"code": "1.001193",'; cat "$WORK/one.jsonl"; } >"$WORK/badjson.jsonl"
expect 65 "invalid JSON on line 2" -- ds import "$WORK/badjson.jsonl"
expect_err "line 2: invalid JSON"
same "journal unchanged after invalid JSON" "$(jsum)" "$BEFORE"

"$BIN/dsgen" --count 5 --seed 4 --date 2026-01-05 --codes >"$WORK/codes.jsonl"
mutate "$WORK/codes.jsonl" "$WORK/dup.jsonl" 4 'd["code"] = "000.00.12.H22-260105-0002"'
expect 65 "a code twice in the file" -- ds import "$WORK/dup.jsonl"
expect_err "line 4: dossier 000.00.12.H22-260105-0002 already exists"
same "journal unchanged after a duplicate code" "$(jsum)" "$BEFORE"

mutate "$WORK/codes.jsonl" "$WORK/taken.jsonl" 2 "d['code'] = '$CODE7'"
expect 65 "a code already in the store" -- ds import "$WORK/taken.jsonl"
expect_err "line 2: dossier $CODE7 already exists"

mutate "$WORK/codes.jsonl" "$WORK/other.jsonl" 5 'd["code"] = "000.00.34.H22-260105-0005"'
expect 65 "another office's code" -- ds import "$WORK/other.jsonl"
expect_err "line 5: code"

{ cat "$WORK/one.jsonl"; echo '[1, 2]'; } >"$WORK/array.jsonl"
expect 65 "a line that is not an object" -- ds import "$WORK/array.jsonl"
expect_err "line 2: a dossier is a JSON object"

mutate "$WORK/one.jsonl" "$WORK/colour.jsonl" 1 'd["colour"] = "blue"'
{ echo; cat "$WORK/colour.jsonl"; } >"$WORK/unknown.jsonl"
expect 65 "an unknown field on line 2 (after a blank line 1)" -- ds import "$WORK/unknown.jsonl"
expect_err "line 2: "
expect_err "colour"

expect 65 "a missing file" -- ds import "$WORK/nope.jsonl"
expect_err "nope.jsonl"
expect 64 "two files" -- ds import "$WORK/one.jsonl" "$WORK/one.jsonl"
expect 64 "an unknown option" -- ds import --fast "$WORK/one.jsonl"
same "journal unchanged after every bad file" "$(jsum)" "$BEFORE"
same "dossiers unchanged after every bad file" "$(count)" "$N"
expect 0 "verify at the end" -- ds verify
expect 0 "help" -- "$DS" import --help
expect_out "import [--json] [--progress=MODE] [FILE|-]"
finish
