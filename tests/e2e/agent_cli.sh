#!/usr/bin/env bash
# agent_cli.sh: drives every office command of the real `dossync` binary the way a clerk
# would, and every bad input with its exit code, checking the journal did not change.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=0
ds() { "$DS" -d "$D" --actor lan "$@"; }
jsum() { ds journal --json | sha256sum | cut -c1-64; }

# --- init
expect 64 "init without office" -- ds init --central http://127.0.0.1:1
expect 65 "init with a bad agency" -- ds init --office 'not an agency' --central http://127.0.0.1:1
expect_err "--office"
expect 65 "init with a bad URL" -- ds init --office 000.00.12.H22 --central ftp://x
expect 0 "init" -- ds init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1
expect_out "initialised"
expect 65 "init twice" -- ds init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1
expect_err "already holds"

# --- help and usage
expect 0 "help" -- "$DS" --help
expect_out "transition"
expect 0 "command help" -- "$DS" update --help
expect_out "--set PATH=JSON"
expect 64 "unknown command" -- ds frobnicate
expect_err "unknown command"

# --- create
expect 0 "create from a file" -- ds create "$E2E_DATA/birth.json"
CODE1=$(cat "$WORK/out")
same "allocated code" "$CODE1" "000.00.12.H22-240414-0001"
expect 0 "create from stdin" -- bash -c "\"$DS\" -d \"$D\" create - < \"$E2E_DATA/residence.json\""
CODE2=$(cat "$WORK/out")
same "second code" "$CODE2" "000.00.12.H22-260414-0001"
expect 0 "create a second one on the same day" -- ds create "$E2E_DATA/birth.json"
same "sequence grows" "$(cat "$WORK/out")" "000.00.12.H22-240414-0002"

# --- show
expect 0 "show" -- ds show "$CODE1"
expect_out "Phạm Ngọc Giang"
expect 0 "show --json" -- ds show "$CODE1" --json
same "json code" "$(jget code <"$WORK/out")" "$CODE1"
same "json version" "$(jget version <"$WORK/out")" "0"
same "json sync" "$(jget sync <"$WORK/out")" "pending"
same "json agency" "$(jget agency <"$WORK/out")" "000.00.12.H22"
same "json fee" "$(jget fees.0.amount <"$WORK/out")" "10000"
expect 65 "show an unknown code" -- ds show 000.00.12.H22-240414-0999
expect_err "no dossier"

# --- update
expect 0 "update --set" -- ds update "$CODE1" --set 'applicant.phone="0912000111"' --set 'fees[lp1].paid=false'
ds show "$CODE1" --json >"$WORK/s.json"
same "phone updated" "$(jget applicant.phone <"$WORK/s.json")" "0912000111"
same "fee item updated" "$(jget fees.0.paid <"$WORK/s.json")" "False"
expect 0 "update adds a list item" -- ds update "$CODE1" --set 'components[tp2]={"code":"GCS","name":"Giấy chứng sinh","originals":1,"copies":0,"digitised":false}'
same "item added" "$(ds show "$CODE1" --json | jget components.1.id)" "tp2"
echo '{"summary": "Khai sinh (bổ sung tên đệm)", "applicant": {"email": null}}' >"$WORK/patch.json"
expect 0 "update --patch" -- ds update "$CODE1" --patch "$WORK/patch.json"
ds show "$CODE1" --json >"$WORK/s.json"
same "patched summary" "$(jget summary <"$WORK/s.json")" "Khai sinh (bổ sung tên đệm)"
if grep -q '"email"' "$WORK/s.json"; then fail "email should be removed by the null"; else pass; fi

# --- transition
expect 0 "transition 2 -> 4" -- ds transition "$CODE1" 4 --note "Chuyển phòng Tư pháp"
same "status 4" "$(ds show "$CODE1" --json | jget status)" "4"
same "progress row" "$(ds show "$CODE1" --json | jget progress.1.what)" "Chuyển phòng Tư pháp"
expect 0 "transition 4 -> 9" -- ds transition "$CODE1" 9
ds show "$CODE1" --json >"$WORK/s.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("finished_at") else 1)' "$WORK/s.json" && pass || fail "finished_at set on 9"

# --- bad input: nothing written
BEFORE=$(jsum)
echo '{"procedure": ' >"$WORK/broken.json"
expect 65 "create invalid JSON" -- ds create "$WORK/broken.json"
expect_err "invalid JSON"
python3 - "$E2E_DATA/birth.json" "$WORK" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); w = sys.argv[2]
def dump(name, v): json.dump(v, open(f"{w}/{name}.json", "w"), ensure_ascii=False)
x = dict(d); x["colour"] = "blue"; dump("unknown", x)
x = json.loads(json.dumps(d)); x["fees"][0]["amount"] = "10000"; dump("wrongtype", x)
x = json.loads(json.dumps(d)); x["applicant"]["id_number"] = "12345"; dump("cccd", x)
x = json.loads(json.dumps(d)); x["received_at"] = "2024-04-14 07:00"; dump("notime", x)
x = json.loads(json.dumps(d)); x["fees"][0]["amount"] = -5; dump("negative", x)
x = json.loads(json.dumps(d)); x["status"] = 10; dump("status10", x)
PY
expect 65 "create with an unknown field" -- ds create "$WORK/unknown.json"
expect_err "colour"
expect 65 "create with a wrong type" -- ds create "$WORK/wrongtype.json"
expect_err "amount"
expect 65 "create with a bad CCCD" -- ds create "$WORK/cccd.json"
expect_err "id_number"
expect 65 "create with a time without offset" -- ds create "$WORK/notime.json"
expect_err "received_at"
expect 65 "create with a negative fee" -- ds create "$WORK/negative.json"
expect 65 "create straight into status 10" -- ds create "$WORK/status10.json"
expect 65 "create from a missing file" -- ds create "$WORK/nope.json"
expect 65 "update with a non-JSON value" -- ds update "$CODE1" --set 'applicant.phone=0912'
expect_err "applicant.phone"
expect 65 "update making the dossier invalid" -- ds update "$CODE1" --set 'applicant.phone="12"'
expect_err "phone"
expect 65 "update touching status" -- ds update "$CODE1" --set 'status=4'
expect_err "transition"
expect 65 "update an unknown code" -- ds update 000.00.12.H22-240414-0999 --set 'summary="x"'
expect 64 "update without changes" -- ds update "$CODE1"
expect 65 "illegal move 9 -> 4" -- ds transition "$CODE1" 4
expect_err "9 -> 4"
expect 65 "status 11" -- ds transition "$CODE1" 11
expect 65 "transition an unknown code" -- ds transition 000.00.12.H22-240414-0999 4
expect 65 "bad --status" -- ds list --status 12
same "journal unchanged after bad input" "$(jsum)" "$BEFORE"

# --- list, journal, verify, status
expect 0 "list" -- ds list
expect_out "3 dossiers"
expect 0 "list --json" -- ds list --json
same "list size" "$(jget '' <"$WORK/out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "3"
same "list fields" "$(ds list --json | jget 0.sync)" "pending"
expect 0 "list --status 9" -- ds list --status 9 --json
same "one finished" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/out")" "1"
expect 0 "list --overdue" -- ds list --overdue --json
same "one overdue (2024, status 2)" "$(python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); print(len(l), l[0]["code"])' "$WORK/out")" "1 000.00.12.H22-240414-0002"
expect 0 "journal" -- ds journal
expect 0 "journal --json" -- ds journal --json --since 2
same "journal since 2 starts at 3" "$(jget 0.seq <"$WORK/out")" "3"
same "actor recorded" "$(jget 0.actor <"$WORK/out")" "lan"
same "op id" "$(jget 0.op_id <"$WORK/out")" "xa1:3"
python3 -c '
import json, sys, datetime
for e in json.load(open(sys.argv[1])):
    t = datetime.datetime.fromisoformat(e["occurred_at"])
    assert t.utcoffset() == datetime.timedelta(hours=7), e["occurred_at"]
    assert abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) < 600
' "$WORK/out" && pass || fail "occurred_at is the real time in +07:00"
expect 0 "verify" -- ds verify
expect_out "intact"
expect 0 "status --json" -- ds status --json
same "pending ops" "$(jget pending_ops <"$WORK/out")" "8"
same "journal seq" "$(jget journal_seq <"$WORK/out")" "8"
same "cursor" "$(jget central_cursor <"$WORK/out")" "0"

# --- the journal refuses UPDATE and DELETE, verify names the bad entry
if command -v sqlite3 >/dev/null; then
	sqlite3 "$D/agent.db" "UPDATE journal SET actor='x' WHERE seq=2" 2>/dev/null && fail "UPDATE allowed" || pass
	sqlite3 "$D/agent.db" "DELETE FROM journal WHERE seq=2" 2>/dev/null && fail "DELETE allowed" || pass
	cp -a "$D" "$WORK/tamper"
	sqlite3 "$WORK/tamper/agent.db" "DROP TRIGGER journal_no_update; UPDATE journal SET actor='mallory' WHERE seq=4"
	expect 65 "verify an edited entry" -- "$DS" -d "$WORK/tamper" verify
	expect_err "entry 4"
	cp -a "$D" "$WORK/tamper2"
	sqlite3 "$WORK/tamper2/agent.db" "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq=5"
	expect 65 "verify a removed entry" -- "$DS" -d "$WORK/tamper2" verify
	expect_err "entry 5"
else
	echo "skipped: sqlite3 CLI not installed (tamper checks)"
fi

# --- a store from a newer dossync is refused, never touched
if command -v sqlite3 >/dev/null; then
	cp -a "$D" "$WORK/newer"
	sqlite3 "$WORK/newer/agent.db" "PRAGMA user_version = 99"
	SUM=$(sha256sum <"$WORK/newer/agent.db")
	expect 65 "a store from a newer dossync" -- "$DS" -d "$WORK/newer" update "$CODE1" --set 'summary="x"'
	expect_err "newer dossync"
	same "the newer store is untouched" "$(sha256sum <"$WORK/newer/agent.db")" "$SUM"
fi

# --- the data directory: missing, unwritable, second writer
expect 1 "missing data dir" -- "$DS" -d "$WORK/none" status
expect_err "no dossync data directory"
# An office PC user who may read the data directory but not write to it.
chmod a-w "$D"
chmod 755 "$WORK"
chmod -R a+rX "$D"
if [ "$(id -u)" != 0 ]; then
	expect 77 "unwritable data dir" -- ds update "$CODE1" --set 'summary="x"'
elif command -v setpriv >/dev/null; then
	expect 77 "unwritable data dir" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$DS" -d "$D" update "$CODE1" --set 'summary="x"'
	expect_err "cannot write"
else
	echo "skipped: unwritable data dir (running as root without setpriv)"
fi
chmod u+w "$D"
chmod 700 "$WORK"
BEFORE=$(jsum)
flock "$D/lock" sleep 3 & # the scenario: another process holds the lock for 3 s
PIDS+=($!)
lock_taken() { ! flock -n "$D/lock" true; }
wait_for "the other process holds the lock" 3 lock_taken
expect 75 "second writer" -- ds update "$CODE1" --set 'summary="hai"'
expect_err "in use by another dossync process"
expect 0 "a reader while the writer holds the lock" -- ds show "$CODE1"
same "journal unchanged by the refused writer" "$(jsum)" "$BEFORE"
wait
DOSSYNC_LOCK_WAIT=5 expect 0 "a writer after the lock is free" -- ds update "$CODE1" --set 'summary="hai"'
finish
