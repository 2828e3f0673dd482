#!/usr/bin/env bash
# format_example.sh: the examples of docs/FORMAT.md are accepted by `dossync create` as the
# code stands. Takes the first ```json block under "## Minimal example" and the first under
# "## Full example", creates each in a fresh office (no central: nothing is synced), and
# checks the code printed and what `show --json` holds.
BIN=$1
. "$(dirname "$0")/lib.sh"
DOC="$(cd "$(dirname "$0")/../.." && pwd)/docs/FORMAT.md"
DS="$BIN/dossync"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=0
ds() { "$DS" -d "$D" --actor lan "$@"; }

# example HEADING OUT: the first ```json block after the line "## HEADING", into OUT.
example() {
	awk -v h="## $1" '
		$0 == h { under = 1; next }
		under && /^## / { exit }
		under && /^```json$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$DOC" >"$2"
	if [ -s "$2" ]; then pass; else fail "no \`\`\`json block under '## $1' in $DOC"; fi
}

example "Minimal example" "$WORK/minimal.json"
example "Full example" "$WORK/full.json"

expect 0 "create --help" -- "$DS" create --help
expect_out "docs/FORMAT.md"
expect_out "due_at"

expect 0 "init" -- ds init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1

# --- the minimal example: create fills agency, code, status and channel
expect 0 "create the minimal example" -- ds create "$WORK/minimal.json"
CODE=$(cat "$WORK/out")
same "minimal: code printed" "$CODE" "000.00.12.H22-261130-0001"
grep -qF -- "$CODE" "$DOC" && pass || fail "the code printed ($CODE) is not the one FORMAT.md shows"
expect 0 "show the minimal example" -- ds show "$CODE" --json
same "minimal: code" "$(jget code <"$WORK/out")" "$CODE"
same "minimal: agency" "$(jget agency <"$WORK/out")" "000.00.12.H22"
same "minimal: status" "$(jget status <"$WORK/out")" "2"
same "minimal: channel" "$(jget channel <"$WORK/out")" "1"
same "minimal: due_at" "$(jget due_at <"$WORK/out")" "$(jget due_at <"$WORK/minimal.json")"
same "minimal: applicant" "$(jget applicant.name <"$WORK/out")" "$(jget applicant.name <"$WORK/minimal.json")"
same "minimal: version" "$(jget version <"$WORK/out")" "0"
same "minimal: sync" "$(jget sync <"$WORK/out")" "pending"

# --- due_at is required unless a calendar is installed to compute it, as the page says
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["due_at"]; print(json.dumps(d))' \
	"$WORK/minimal.json" >"$WORK/no_due.json"
expect 65 "create without due_at, no calendar" -- env DOSSYNC_DATA="$WORK/no-data" "$DS" -d "$D" create "$WORK/no_due.json"
expect_err "due_at: required"
# With data/: Đăng ký khai sinh takes 1 working day; Mon 08:15 + 8 h = Tue 08:15.
expect 0 "create without due_at, data/ installed" -- env DOSSYNC_DATA="$(dirname "$DOC")/../data" "$DS" -d "$D" create "$WORK/no_due.json"
same "computed due_at" "$(ds show "$(cat "$WORK/out")" --json | jget due_at)" "2026-12-01T08:15:00+07:00"

# --- the full example: every field comes back as given, plus version and sync
expect 0 "create the full example" -- ds create "$WORK/full.json"
FULL=$(cat "$WORK/out")
same "full: code printed" "$FULL" "$(jget code <"$WORK/full.json")"
expect 0 "show the full example" -- ds show "$FULL" --json
python3 - "$WORK/full.json" "$WORK/out" <<'PY' && pass || fail "full example: show --json differs from the document"
import json, sys
given = json.load(open(sys.argv[1]))
shown = json.load(open(sys.argv[2]))
extra = {k: shown.pop(k) for k in ("version", "sync")}
judged = {k: shown.pop(k) for k in ("verdict", "late_by_s", "supplement_requests") if k in shown}
if shown != given:
    for k in sorted(set(given) | set(shown)):
        if given.get(k) != shown.get(k):
            print("field %s: given %r, shown %r" % (k, given.get(k), shown.get(k)), file=sys.stderr)
    sys.exit(1)
sys.exit(0 if extra == {"version": 0, "sync": "pending"} and
         judged.get("verdict") in ("on_time", "late", "in_time", "overdue", "none") else 1)
PY
for g in procedure applicant components fees progress supplements result attachments; do
	[ -n "$(jget "$g" <"$WORK/out" 2>/dev/null)" ] && pass || fail "full example: no $g"
done

expect 0 "verify" -- ds verify
finish
