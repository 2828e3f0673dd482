#!/usr/bin/env bash
# find.sh: a clerk finds a dossier (issue 15): `list --search` by a name typed without
# diacritics or case, a CCCD, phone or code fragment, the filters and their combination,
# on time or late in `show` and `list`, and the search index kept by every kind of change
# (create, update, transition, pull) and filled by the schema step for an older store.
BIN=$1
. "$(dirname "$0")/lib.sh"
export DOSSYNC_LOCK_WAIT=0
DS="$BIN/dossync"
A=$WORK/a
B=$WORK/b
da() { "$DS" -d "$A" --actor lan "$@"; }
db() { "$DS" -d "$B" --actor minh "$@"; }
# codes DIR LIST-OPTION...: the codes `list --json` gives, on one line.
codes() {
	local d=$1
	shift
	"$DS" -d "$d" list --json "$@" | python3 -c 'import json,sys; print(" ".join(r["code"].rsplit("-", 2)[1] + "-" + r["code"][-4:] for r in json.load(sys.stdin)))'
}
# mk NAME CCCD PHONE RECEIVED DUE: a new dossier on A; DUE "+N" is N days from now.
mk() {
	python3 - "$E2E_DATA/birth.json" "$@" <<'PY' | da create - >/dev/null || fail "create $1"
import json, sys, datetime as dt
d = json.load(open(sys.argv[1]))
name, cccd, phone, rec, due = sys.argv[2:7]
d["applicant"].update(name=name, id_number=cccd, phone=phone)
d["received_at"] = rec + "T08:00:00+07:00"
d["progress"][0]["when"] = d["fees"][0]["paid_at"] = d["received_at"]
if due.startswith("+"):
    tz = dt.timezone(dt.timedelta(hours=7))
    due = (dt.datetime.now(tz) + dt.timedelta(days=int(due[1:]))).replace(microsecond=0).isoformat()
else:
    due += "T17:00:00+07:00"
d["due_at"] = due
print(json.dumps(d, ensure_ascii=False))
PY
}

central_fresh "$WORK/central.db" 000.00.12.H22 "$WORK/token"
office_init "$A" 000.00.12.H22 xa1 "$WORK/token" 1-4999
office_init "$B" 000.00.12.H22 xa2 "$WORK/token" 5000-8999
mk "Nguyễn Văn An" 001092000111 0912345678 2025-03-02 2025-03-05   # overdue
mk "Trần Thị Bình" 079301000222 +84987654321 2025-03-10 +1         # due tomorrow
mk "Lê Văn Đức" 036205000333 0901000333 2025-04-01 2025-04-03      # ends late
mk "Phạm Thị Cúc" 040199000444 0901000444 2025-04-20 +30           # ends on time
P=000.00.12.H22
D1=$P-250302-0001 D3=$P-250401-0001 D4=$P-250420-0001
for c in $D3 $D4; do
	da transition "$c" 4 >/dev/null && da transition "$c" 9 >/dev/null || fail "finish $c"
done

# --- search: name without diacritics or case, CCCD, phone, code
same "name, no diacritics" "$(codes "$A" --search "nguyen van an")" "250302-0001"
same "name, capitals" "$(codes "$A" --search "NGUYEN VĂN an")" "250302-0001"
same "đ typed as d" "$(codes "$A" --search "le van duc")" "250401-0001"
same "a piece of a name" "$(codes "$A" --search "thi")" "250310-0001 250420-0001"
same "CCCD fragment" "$(codes "$A" --search "092000")" "250302-0001"
same "phone fragment" "$(codes "$A" --search "345678")" "250302-0001"
same "+84 phone as 0..." "$(codes "$A" --search "0987654")" "250310-0001"
same "+84 phone as given" "$(codes "$A" --search "+8498")" "250310-0001"
same "code fragment" "$(codes "$A" --search "250401")" "250401-0001"
same "no match" "$(codes "$A" --search "hoang")" ""
expect 0 "search, text" -- da list --search "nguyen van an"
expect_out "Nguyễn Văn An"
expect_out "1 dossier"
expect 65 "a search too short" -- da list --search "an"
expect_err "at least 3 characters"

# --- filters, alone and combined (AND)
same "--status 9" "$(codes "$A" --status 9)" "250401-0001 250420-0001"
same "--late" "$(codes "$A" --late)" "250401-0001"
same "--overdue" "$(codes "$A" --overdue)" "250302-0001"
same "--due-within 1" "$(codes "$A" --due-within 1)" "250310-0001"
same "--due-within 0" "$(codes "$A" --due-within 0)" ""
same "received between, both days counted" \
	"$(codes "$A" --received-from 2025-03-10 --received-to 2025-04-01)" "250310-0001 250401-0001"
same "search and status" "$(codes "$A" --search "van" --status 2)" "250302-0001"
same "search and late" "$(codes "$A" --search "van" --late)" "250401-0001"
same "--limit, --offset" "$(codes "$A" --limit 2 --offset 1)" "250310-0001 250401-0001"
same "--offset past the end" "$(codes "$A" --offset 9)" ""
expect 65 "a date that does not exist" -- da list --received-from 2025-02-30
expect_err "--received-from"
expect 65 "received-to before received-from" -- da list --received-from 2025-04-02 --received-to 2025-04-01
expect_err "--received-to"
expect 65 "--limit not a number" -- da list --limit x
expect_err "--limit"

# --- on time or late
expect 0 "show a late dossier" -- da show "$D3"
expect_out "finished"
expect_out "verdict    late: ended"
expect 0 "show an on-time dossier" -- da show "$D4"
expect_out "verdict    on time"
expect 0 "show an overdue dossier" -- da show "$D1"
expect_out "verdict    overdue by"
same "show --json verdict" "$(da show "$D3" --json | jget verdict)" "late"
[ "$(da show "$D3" --json | jget late_by_s)" -gt 86400 ] && pass || fail "late_by_s counts the days past due"
same "list --json verdicts" "$(da list --json | python3 -c 'import json,sys; print(" ".join(r["verdict"] for r in json.load(sys.stdin)))')" \
	"overdue in_time late on_time"

# --- the index follows every change
expect 0 "rename the applicant" -- da update "$D1" --set 'applicant.name="Hoàng Văn Em"'
same "old name gone" "$(codes "$A" --search "nguyen van an")" ""
same "new name found" "$(codes "$A" --search "hoang van em")" "250302-0001"
same "all pending before a sync" "$(codes "$A" --pending | wc -w)" "4"
expect 0 "sync" -- da sync
same "none pending after it" "$(codes "$A" --pending)" ""
mk "Võ Thị Giàu" 052188000555 0901000555 2025-05-05 +10
same "a new dossier is pending" "$(codes "$A" --pending)" "250505-0001"
expect 0 "the other PC pulls" -- db sync
same "found on the other PC" "$(codes "$B" --search "hoang van em")" "250302-0001"
same "late there too" "$(codes "$B" --late)" "250401-0001"
expect 0 "rows agree with the journal" -- da verify

# --- an older store: step 5 fills the index for the rows already there
cp -r "$A" "$WORK/old"
sqlite3 "$WORK/old/agent.db" "DROP TABLE files; DROP TABLE dossier_search; DROP TABLE search_ids;
	DROP INDEX dossiers_received; DROP INDEX dossiers_due;
	ALTER TABLE dossiers DROP COLUMN received_at; PRAGMA user_version = 4;" ||
	fail "making a step-4 store"
same "migrated: search" "$(codes "$WORK/old" --search "hoang van em")" "250302-0001"
same "migrated: received dates" "$(codes "$WORK/old" --received-from 2025-04-01)" \
	"250401-0001 250420-0001 250505-0001"
central_stop
finish
