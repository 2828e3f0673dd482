#!/usr/bin/env bash
# report.sh: `dossync report` and `dossync-central report` (issue 15): an office creates
# dossiers with known times (explicit received_at and due_at, then real transitions), syncs
# them to central, and both reports give the hand-computed counts and shares and agree
# exactly; the average processing time equals an independent model of the shipped calendar
# over the recorded times. A dossier still pending shows where the two may differ: synced.
BIN=$1
. "$(dirname "$0")/lib.sh"
DATA="$(cd "$(dirname "$0")/../.." && pwd)/data"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
D="$WORK/office"
AG=000.00.12.H22
P=1.001193
Q=1.004873
export DOSSYNC_LOCK_WAIT=5 DOSSYNC_DATA="$DATA"
ds() { "$DS" -d "$D" --actor lan "$@"; }
cen() { "$CEN" --db "$DB" "$@"; }

central_fresh "$DB" $AG "$WORK/tok"
office_init "$D" $AG xa1 "$WORK/tok"
expect 0 "central publishes the calendar" -- cen data publish "$DATA/calendar.json" "$DATA/procedures.json"

# new PROCEDURE CHANNEL RECEIVED DUE [EXTRA-JSON]: creates a dossier, prints its code.
new() {
	printf '{"procedure": {"code": "%s", "name": "Thủ tục %s"}, "applicant": {"name": "Lê Văn An"},
	 "channel": %s, "received_at": "%s+07:00", "due_at": "%s+07:00"%s}\n' \
		"$1" "$1" "$2" "$3" "$4" "${5:-}" >"$WORK/new.json"
	ds create "$WORK/new.json" || fail "create $*"
}
move() { # move CODE STATUS...
	local c=$1 s
	shift
	for s in "$@"; do ds transition "$c" "$s" >/dev/null || fail "transition $c $s"; done
}
FAR=2027-06-30T17:00:00
# d1: P, online, a digitised component; finished well before its due date: on time.
D1=$(new $P 2 2026-11-02T08:00:00 $FAR ', "components": [{"id": "tp1", "name": "Tờ khai", "digitised": true}]')
move "$D1" 4 9
# d2: P, due 5/11, finished now: late.
D2=$(new $P 1 2026-11-03T09:00:00 2026-11-05T17:00:00)
move "$D2" 4 9
# d3: Q, one supplement wait (Thu 5/11 08:00 to Fri 6/11 08:00: 8 working hours), then
# finished: on time.
D3=$(new $Q 1 2026-11-04T10:00:00 $FAR)
move "$D3" 4 5
ds update "$D3" --set 'supplements[bs1]={"requested_at": "2026-11-05T08:00:00+07:00", "received_at": "2026-11-06T08:00:00+07:00"}' >/dev/null || fail "supplement"
move "$D3" 4 9
# d4: Q, online, still at 2 and due 20/11: overdue. d5: Q, processing, due next year: in time.
D4=$(new $Q 2 2026-11-05T08:00:00 2026-11-20T17:00:00)
D5=$(new $Q 1 2026-11-06T08:00:00 $FAR)
move "$D5" 4
# d6: P, refused at intake: received, not judged. d7: P, received in October.
D6=$(new $P 1 2026-11-09T08:00:00 $FAR ', "status": 3')
D7=$(new $P 1 2026-10-30T08:00:00 $FAR)
expect 0 "sync" -- ds sync

NOV=(--from 2026-11-01 --to 2026-11-30)
expect 0 "office report" -- ds report "${NOV[@]}" --json
cp "$WORK/out" "$WORK/office.json"
expect 0 "central report for the office" -- cen report --office $AG "${NOV[@]}" --json
cp "$WORK/out" "$WORK/central.json"
expect 0 "central report for the province" -- cen report "${NOV[@]}" --json
cp "$WORK/out" "$WORK/province.json"

# field FILE PATH: a member of a saved report.
field() { jget "$2" <"$1"; }
want_counts() { # want_counts FILE PATH received on_time late in_time overdue not_judged online digitised synced
	local f=$1 p=$2 k v got
	shift 2
	for k in received on_time late in_time overdue not_judged online digitised synced; do
		v=$1
		shift
		got=$(field "$f" "$p.$k")
		same "$f $p.$k" "$got" "$v"
	done
}
for f in "$WORK/office.json" "$WORK/central.json" "$WORK/province.json"; do
	want_counts "$f" total 6 2 1 1 1 1 2 1 6
	want_counts "$f" procedures.0 3 1 1 0 0 1 1 1 3
	want_counts "$f" procedures.1 3 1 0 1 1 0 1 0 3
	same "$f procedure order" "$(field "$f" procedures.0.procedure) $(field "$f" procedures.1.procedure)" "$P $Q"
	same "$f shares" "$(field "$f" total.on_time_pct) $(field "$f" total.online_pct) $(field "$f" total.digitised_pct) $(field "$f" total.synced_pct)" "66.7 33.3 16.7 100.0"
	same "$f calendar" "$(field "$f" calendar)" "vn-2026.1"
	same "$f period" "$(field "$f" period.from) $(field "$f" period.to)" "2026-11-01 2026-11-30"
done
same "province: one office" "$(field "$WORK/province.json" offices.0.office) $(field "$WORK/province.json" offices.0.received)" "$AG 6"

# The average processing time: an independent model of the calendar (working spans of
# working days, holidays and make-up days from data/calendar.json) over the times the
# dossiers recorded, the supplement wait subtracted, rounded to hundredths of a day.
for c in "$D1" "$D2" "$D3"; do ds show "$c" --json; done >"$WORK/ended.json" 2>/dev/null
model=$(python3 - "$DATA/calendar.json" "$WORK/ended.json" <<'PY'
import datetime as dt, json, sys
cal = json.load(open(sys.argv[1]))
tz = dt.timezone(dt.timedelta(hours=7))
off = {h["date"] for y in cal["years"] for h in y["holidays"]}
on = {w["date"] for y in cal["years"] for w in y["workdays"]}
spans = [[tuple(map(int, t.split(":"))) for t in s] for s in cal["hours"]]
def work(a, b):
    total, day = 0, a.date()
    while day <= b.date():
        iso = day.isoformat()
        if iso in on or (day.isoweekday() not in cal["weekend"] and iso not in off):
            for (h1, m1), (h2, m2) in spans:
                s = dt.datetime(day.year, day.month, day.day, h1, m1, tzinfo=tz)
                e = dt.datetime(day.year, day.month, day.day, h2, m2, tzinfo=tz)
                total += max(0, (min(e, b) - max(s, a)).total_seconds())
        day += dt.timedelta(days=1)
    return int(total)
t = lambda s: dt.datetime.fromisoformat(s)
docs, text, i = [], open(sys.argv[2]).read(), 0
dec = json.JSONDecoder()
while i < len(text.strip()):
    d, i = dec.raw_decode(text, i); docs.append(d)
    while i < len(text) and text[i].isspace(): i += 1
def secs(d):
    a, b = t(d["received_at"]), t(d["finished_at"])
    w = sum(work(max(a, t(s["requested_at"])), min(b, t(s["received_at"])))
            for s in d.get("supplements", []))
    return work(a, b) - w
def avg(ds):
    div = len(ds) * 8 * 3600
    return "%.2f" % (((sum(map(secs, ds)) * 100 + div // 2) // div) / 100)
print(avg(docs), avg(docs[:2]), avg(docs[2:]))
PY
)
for f in "$WORK/office.json" "$WORK/central.json"; do
	same "$f avg_working_days (total P Q)" \
		"$(printf '%.2f %.2f %.2f' "$(field "$f" total.avg_working_days)" "$(field "$f" procedures.0.avg_working_days)" "$(field "$f" procedures.1.avg_working_days)")" "$model"
done

# Both agree on everything but the moment, the office's name and the notes on "synced".
strip() { python3 -c 'import json,sys; d=json.load(sys.stdin); [d.pop(k,None) for k in ("at","notes","offices","office")]; print(json.dumps(d, sort_keys=True))' <"$1"; }
same "office and central agree" "$(strip "$WORK/office.json")" "$(strip "$WORK/central.json")"
same "office and province agree" "$(strip "$WORK/office.json")" "$(strip "$WORK/province.json")"

# Without a period every dossier counts: d7 is in time too.
expect 0 "report, all time" -- ds report --json
same "all time" "$(jget total.received <"$WORK/out") $(jget total.in_time <"$WORK/out")" "7 2"

# A dossier not yet at central: the office counts it, unsynced; central does not hold it.
D8=$(new $P 1 2026-11-10T08:00:00 $FAR)
expect 0 "office report with a pending dossier" -- ds report "${NOV[@]}" --json
same "office: received, synced, share" "$(jget total.received <"$WORK/out") $(jget total.synced <"$WORK/out") $(jget total.synced_pct <"$WORK/out")" "7 6 85.7"
expect 0 "central report" -- cen report --office $AG "${NOV[@]}" --json
same "central: still six" "$(jget total.received <"$WORK/out") $(jget total.synced_pct <"$WORK/out")" "6 100.0"

# CSV: a header, one row per procedure, a TOTAL row; the same bytes on both sides once synced.
expect 0 "sync the last one" -- ds sync
expect 0 "office csv" -- ds report "${NOV[@]}" --csv
cp "$WORK/out" "$WORK/office.csv"
same "csv rows" "$(cut -d, -f1 "$WORK/office.csv" | tr -d '\r' | tr '\n' ' ')" "procedure $P $Q TOTAL "
same "csv total" "$(tail -1 "$WORK/office.csv" | tr -d '\r')" "TOTAL,,7,2,1,2,1,1,66.7,$(field "$WORK/office.json" total.avg_working_days | xargs printf '%.2f'),28.6,14.3,100.0"
expect 0 "central csv" -- cen report --office $AG "${NOV[@]}" --csv
same "csv agrees" "$(cat "$WORK/out")" "$(cat "$WORK/office.csv")"

# HTML: one self-contained page with Vietnamese labels.
expect 0 "html" -- ds report "${NOV[@]}" --html "$WORK/r.html"
grep -qF 'Tổng cộng' "$WORK/r.html" && grep -qF 'Tỉ lệ đúng hạn' "$WORK/r.html" && pass || fail "html labels"
grep -qiE '<(script|link|img)|https?://' "$WORK/r.html" && fail "html refers to outside assets" || pass

# The period is by the +07:00 day: 31/10 20:00 at -05:00 is 1/11 08:00 in Vietnam.
printf '{"procedure": {"code": "%s", "name": "Thủ tục"}, "applicant": {"name": "Lê Văn An"}, "code": "%s-261101-0100",
 "received_at": "2026-10-31T20:00:00-05:00", "due_at": "%s+07:00"}\n' $P $AG $FAR >"$WORK/tz.json"
expect 0 "create at another offset" -- ds create "$WORK/tz.json"
expect 0 "report of 1/11" -- ds report --from 2026-11-01 --to 2026-11-01 --json
same "1/11 holds it" "$(jget total.received <"$WORK/out")" "1"
expect 0 "report of 31/10" -- ds report --from 2026-10-31 --to 2026-10-31 --json
same "31/10 does not" "$(jget total.received <"$WORK/out")" "0"

# Bad input: one clear line, the usage exit codes.
expect 65 "bad day" -- ds report --from 2026-02-30
expect_err "--from: '2026-02-30' is not a day"
expect 65 "from after to" -- ds report --from 2026-12-01 --to 2026-11-01
expect_err "is after --to"
expect 64 "two formats" -- ds report --json --csv
expect 65 "central: bad office" -- cen report --office 'x y'
expect_err "--office"
expect 64 "central: unknown option" -- cen report --nope
finish
