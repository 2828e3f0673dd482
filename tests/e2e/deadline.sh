#!/usr/bin/env bash
# deadline.sh: `dossync create` computes due_at from the shipped calendar and catalogue
# (data/) when the dossier has none, records the versions in due_basis, keeps an explicit
# due_at, refuses clearly when no data is installed, and central stores the same bytes;
# supplement waits and extensions move the date; central distributes new versions.
BIN=$1
. "$(dirname "$0")/lib.sh"
DATA="$(cd "$(dirname "$0")/../.." && pwd)/data"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
D="$WORK/office"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5
unset DOSSYNC_DATA
ds() { "$DS" -d "$D" --actor lan "$@"; }

central_fresh "$DB" $AG "$WORK/tok"
office_init "$D" $AG xa1 "$WORK/tok"

# new DOSSIER-FILE PROCEDURE CHANNEL RECEIVED: a dossier without due_at.
new() {
	printf '{"procedure": {"code": "%s", "name": "Thủ tục"}, "applicant": {"name": "Lê Văn An"},
	 "channel": %s, "received_at": "%s"}\n' "$2" "$3" "$4" >"$1"
}

# --- without data installed, a missing due_at is refused, naming where it looked
new "$WORK/a.json" 1.004873 1 "2026-11-27T16:30:00+07:00"
expect 65 "create without due_at, no data" -- env DOSSYNC_DATA="$WORK/nowhere" "$DS" -d "$D" create "$WORK/a.json"
expect_err "due_at: required"
expect_err "$WORK/nowhere"

# --- with the data: Fri 16:30 + 3 working days = Wed 16:30 (unit.schema.deadline case 1)
export DOSSYNC_DATA="$DATA"
expect 0 "create without due_at" -- ds create "$WORK/a.json"
C1=$(cat "$WORK/out")
expect 0 "show" -- ds show "$C1" --json
same "computed due_at" "$(jget due_at <"$WORK/out")" "2026-12-02T16:30:00+07:00"
same "due_basis.calendar" "$(jget due_basis.calendar <"$WORK/out")" "vn-2026.1"
same "due_basis.catalogue" "$(jget due_basis.catalogue <"$WORK/out")" "2026.1"

# --- across Tết 2026, online: Fri 13/2 16:00 + 7 working days (thường trú) = 56 h:
# Fri 1 (55 left), Mon 23/2 .. Mon 2/3 six days 48 (7), Tue 3/3 4.5 (2.5), 13:30 + 2.5
new "$WORK/b.json" 1.004194 2 "2026-02-13T16:00:00+07:00"
expect 0 "create across Tết" -- ds create "$WORK/b.json"
C2=$(cat "$WORK/out")
same "due_at across Tết" "$(ds show "$C2" --json | jget due_at)" "2026-03-03T16:00:00+07:00"

# --- the data directory named in the config works as DOSSYNC_DATA does
unset DOSSYNC_DATA
echo "data_dir = $DATA" >>"$D/config"
new "$WORK/c.json" 1.001612 1 "2026-11-30T09:00:00+07:00"
expect 0 "create with data_dir" -- ds create "$WORK/c.json"
same "15 calendar days" "$(ds show "$(cat "$WORK/out")" --json | jget due_at)" "2026-12-15T17:00:00+07:00"

# --- an explicit due_at is kept, without due_basis
expect 0 "create with due_at" -- ds create "$E2E_DATA/birth.json"
C4=$(cat "$WORK/out")
expect 0 "show explicit" -- ds show "$C4" --json
same "explicit due_at kept" "$(jget due_at <"$WORK/out")" "2024-04-16T17:00:00+07:00"
grep -q due_basis "$WORK/out" && fail "an explicit due_at got a due_basis" || pass

# --- unknown procedure, and a date the calendar does not cover: refused, nothing written
new "$WORK/d.json" 9.999999 1 "2026-11-30T09:00:00+07:00"
expect 65 "unknown procedure" -- ds create "$WORK/d.json"
expect_err "procedure 9.999999 is not in the catalogue 2026.1"
new "$WORK/e.json" 1.001193 1 "2024-12-02T09:00:00+07:00"
expect 65 "date outside the calendar" -- ds create "$WORK/e.json"
expect_err "covers 2025-2027"
same "four dossiers before the pauses" "$(ds list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "4"

# --- supplement waits move the due date on 5 -> 4, each counted once (unit test two_pauses)
# Xác nhận hộ nghèo, 5 working days from Mon 30/11 08:00: Mon 7/12 08:00.
new "$WORK/p.json" 1.003005 1 "2026-11-30T08:00:00+07:00"
expect 0 "create for pauses" -- ds create "$WORK/p.json"
P=$(cat "$WORK/out")
same "5 working days" "$(ds show "$P" --json | jget due_at)" "2026-12-07T08:00:00+07:00"
ds transition "$P" 4 >/dev/null && ds transition "$P" 5 --note "Thiếu giấy tờ" >/dev/null
expect 0 "record supplement bs1" -- ds update "$P" --set \
	'supplements[bs1]={"requested_at": "2026-12-01T16:00:00+07:00", "received_at": "2026-12-02T09:00:00+07:00"}'
expect 0 "back to processing" -- ds transition "$P" 4
# Tue 16:00-17:00 1 h + Wed 07:00-09:00 2 h = 3 h: Mon 7/12 08:00 -> 11:00.
expect 0 "show after bs1" -- ds show "$P" --json
same "due after bs1" "$(jget due_at <"$WORK/out")" "2026-12-07T11:00:00+07:00"
same "first due kept" "$(jget original_due_at <"$WORK/out")" "2026-12-07T08:00:00+07:00"
grep -qF '"due-bs1"' "$WORK/out" && pass || fail "no progress row due-bs1"
ds transition "$P" 5 >/dev/null
expect 0 "record supplement bs2" -- ds update "$P" --set \
	'supplements[bs2]={"requested_at": "2026-12-04T11:00:00+07:00", "received_at": "2026-12-07T07:30:00+07:00"}'
expect 0 "back to processing again" -- ds transition "$P" 4
# Fri 11:00-11:30 0.5 + 13:30-17:00 3.5, Mon 07:00-07:30 0.5 = 4.5 h: Mon 11:00-11:30 0.5,
# 13:30-17:00 3.5, Tue 8/12 07:00 + 0.5. bs1 is not counted again.
expect 0 "show after bs2" -- ds show "$P" --json
same "due after bs2" "$(jget due_at <"$WORK/out")" "2026-12-08T07:30:00+07:00"
same "first due still kept" "$(jget original_due_at <"$WORK/out")" "2026-12-07T08:00:00+07:00"
# The journal holds each move as a patch of its own, in the transition's transaction.
expect 0 "journal" -- ds journal --json
same "ops on P: create, 5 moves, 2 supplements, 2 due moves" "$(python3 -c '
import json, sys
ops = [o for o in json.load(sys.stdin) if o["code"] == sys.argv[1]]
moves = [o for o in ops if o["kind"] == "patch" and "due_at" in o["payload"]]
print(len(ops), len(moves), moves[0]["payload"]["due_at"])' "$P" <"$WORK/out")" "10 2 2026-12-07T11:00:00+07:00"

# --- an extension: one patch op with the reason in a progress row; the first date stays
expect 65 "extend without a reason" -- ds extend "$C1" --due "2026-12-10T17:00:00+07:00"
expect_err "reason"
expect 65 "extend to an earlier date" -- ds extend "$C1" --due "2026-12-01T17:00:00+07:00" --reason "x"
expect_err "later than 2026-12-02T16:30:00+07:00"
expect 0 "extend by 2 working days" -- ds extend "$C1" --working-days 2 --reason "Chờ xác minh tại nơi cư trú trước"
expect 0 "show extended" -- ds show "$C1" --json
# Wed 2/12 16:30 + 16 h: Wed 0.5 (15.5 left), Thu 8 (7.5), Fri 4.5 (3), 13:30 + 3 = 16:30.
same "extended due" "$(jget due_at <"$WORK/out")" "2026-12-04T16:30:00+07:00"
same "original kept" "$(jget original_due_at <"$WORK/out")" "2026-12-02T16:30:00+07:00"
grep -qF 'Gia hạn: Chờ xác minh tại nơi cư trú trước' "$WORK/out" && pass || fail "no reason in progress"
expect 0 "extend again, to a date" -- ds extend "$C1" --due "2026-12-09T17:00:00+07:00" --reason "Lần hai"
same "extended twice" "$(ds show "$C1" --json | jget due_at)" "2026-12-09T17:00:00+07:00"
same "original still the first" "$(ds show "$C1" --json | jget original_due_at)" "2026-12-02T16:30:00+07:00"

# --- central validates and stores due_basis as the office has it
expect 0 "sync" -- ds sync
for c in $(office_codes "$D"); do agree "$D" "$DB" "$c"; done

# --- distribution: the province publishes the files on central; an office that has none
# installed gets them on its next pull, and later versions likewise
E="$WORK/office-e"
"$CEN" --db "$DB" token add --office 000.00.15.H22 >"$WORK/tok-e"
office_init "$E" 000.00.15.H22 xe1 "$WORK/tok-e"
de() { "$DS" -d "$E" --actor lan "$@"; }
expect 65 "E: nothing installed yet" -- de create "$WORK/a.json"
expect_err "due_at: required"
expect 0 "publish" -- "$CEN" --db "$DB" data publish "$DATA/calendar.json" "$DATA/procedures.json"
expect_out "calendar vn-2026.1 published"
expect_out "procedures 2026.1 published"
expect 0 "publish the same again" -- "$CEN" --db "$DB" data publish "$DATA/calendar.json"
expect_out "already published"
# A new version: Wed 2/12/2026 made a day off (for the test); the same version with other
# content is refused.
python3 - "$DATA/calendar.json" "$WORK/cal2.json" "$WORK/cal-same-version.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
y = [y for y in c["years"] if y["year"] == 2026][0]
y["holidays"].append({"date": "2026-12-02", "name": "Ngày nghỉ thử", "basis": "swap"})
json.dump(c, open(sys.argv[3], "w", encoding="utf-8"), ensure_ascii=False)
c["version"] = "vn-2026.2"
json.dump(c, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
expect 65 "other content under a published version" -- "$CEN" --db "$DB" data publish "$WORK/cal-same-version.json"
expect_err "already published with other content"
expect 0 "central's versions" -- "$CEN" --db "$DB" data versions
expect_out "calendar vn-2026.1"

expect 0 "E syncs" -- de sync
same "E holds central's calendar" "$(jget version <"$E/data/calendar.json")" "vn-2026.1"
expect 0 "E creates without due_at" -- de create "$WORK/a.json"
E1=$(cat "$WORK/out")
same "E: computed with central's files" "$(de show "$E1" --json | jget due_at)" "2026-12-02T16:30:00+07:00"

expect 0 "publish vn-2026.2" -- "$CEN" --db "$DB" data publish "$WORK/cal2.json"
expect 0 "E syncs again" -- de sync
same "E holds the new calendar" "$(jget version <"$E/data/calendar.json")" "vn-2026.2"
expect 0 "E creates again" -- de create "$WORK/a.json"
E2=$(cat "$WORK/out")
# Fri 16:30 + 24 h, Wed 2/12 off now: Fri 0.5, Mon 8, Tue 8 (7.5 left), Thu 4.5 (3), 16:30.
expect 0 "show E2" -- de show "$E2" --json
same "E2: the new calendar moves it" "$(jget due_at <"$WORK/out")" "2026-12-03T16:30:00+07:00"
same "E2: due_basis names it" "$(jget due_basis.calendar <"$WORK/out")" "vn-2026.2"
expect 0 "show E1" -- de show "$E1" --json
same "E1 keeps its date" "$(jget due_at <"$WORK/out")" "2026-12-02T16:30:00+07:00"
same "E1 keeps its basis" "$(jget due_basis.calendar <"$WORK/out")" "vn-2026.1"
expect 0 "E syncs up to date" -- de sync --json
same "up to date: push and pull only" "$(jget requests <"$WORK/out")" "2"

# --- the province creating without due_at computes it with the same current files
printf '{"agency": "000.00.15.H22", "procedure": {"code": "1.004873", "name": "Xác nhận"},
 "applicant": {"name": "Lê Văn An"}, "channel": 2, "status": 1,
 "received_at": "2026-11-27T16:30:00+07:00"}\n' >"$WORK/online.json"
expect 0 "central creates without due_at" -- "$CEN" --db "$DB" --actor "Sở" create "$WORK/online.json"
expect 0 "central shows it" -- "$CEN" --db "$DB" show "$(cat "$WORK/out")" --json
same "central: computed like the office" "$(jget due_at <"$WORK/out")" "2026-12-03T16:30:00+07:00"
ONLINE=$(jget code <"$WORK/out")
same "central: due_basis" "$(jget due_basis.calendar <"$WORK/out")" "vn-2026.2"
# ... and moves it past a supplement wait on 5 -> 4, as an office does: Mon 30/11
# 10:00-14:00 is 1.5 + 0.5 = 2 h; Thu 3/12 16:30-17:00 0.5 (1.5 left), Fri 07:00 + 1.5.
"$CEN" --db "$DB" --actor "Sở" transition "$ONLINE" 5 >/dev/null
printf '{"supplements": [{"id": "bs1", "requested_at": "2026-11-30T10:00:00+07:00",
 "received_at": "2026-11-30T14:00:00+07:00"}]}\n' >"$WORK/bs1.json"
expect 0 "central records the supplement" -- "$CEN" --db "$DB" --actor "Sở" update "$ONLINE" --patch "$WORK/bs1.json"
expect 0 "central: 5 -> 4" -- "$CEN" --db "$DB" --actor "Sở" transition "$ONLINE" 4
expect 0 "central shows the move" -- "$CEN" --db "$DB" show "$ONLINE" --json
same "central: moved past the wait" "$(jget due_at <"$WORK/out")" "2026-12-04T08:30:00+07:00"
same "central: first due kept" "$(jget original_due_at <"$WORK/out")" "2026-12-03T16:30:00+07:00"
expect 0 "E pulls it" -- de sync
agree "$E" "$DB" "$ONLINE"
finish
