#!/usr/bin/env bash
# sync_offices.sh: two offices and the province against one real central on 127.0.0.1.
# Creates, updates and moves dossiers on both sides, syncs, and checks that both sides
# agree field by field; then every receipt kind, receipts lost in a crash (duplicates),
# central restarted in the middle of a push, and a pull interrupted mid-page.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
A="$WORK/xa-a"
B="$WORK/xa-b"
export DOSSYNC_LOCK_WAIT=5
AG_A=000.00.12.H22
AG_B=000.00.15.H22

"$CEN" --db "$DB" init >/dev/null
"$CEN" --db "$DB" token add --office $AG_A >"$WORK/tok-a"
"$CEN" --db "$DB" token add --office $AG_B >"$WORK/tok-b"
"$CEN" --db "$DB" token add --office $AG_A --role province >"$WORK/tok-p"
central_start "$DB"
office_init "$A" $AG_A xa-a-1 "$WORK/tok-a"
office_init "$B" $AG_B xa-b-1 "$WORK/tok-b"

# --- both offices work, then sync
"$BIN/dsgen" --count 3 --seed 1 --office $AG_A >"$WORK/a.jsonl"
"$BIN/dsgen" --count 2 --seed 2 --office $AG_B >"$WORK/b.jsonl"
while read -r l; do printf '%s' "$l" | "$DS" -d "$A" create - >>"$WORK/a.codes"; done <"$WORK/a.jsonl"
while read -r l; do printf '%s' "$l" | "$DS" -d "$B" create - >>"$WORK/b.codes"; done <"$WORK/b.jsonl"
head -1 "$WORK/a.jsonl" >"$WORK/a1.json"
A1=$(sed -n 1p "$WORK/a.codes"); A2=$(sed -n 2p "$WORK/a.codes"); A3=$(sed -n 3p "$WORK/a.codes")
B1=$(sed -n 1p "$WORK/b.codes")
"$DS" -d "$A" update "$A1" --set 'applicant.phone="0911000111"' >/dev/null
"$DS" -d "$A" transition "$A2" 4 --note "Chuyển xử lý" >/dev/null
"$DS" -d "$B" transition "$B1" 9 >/dev/null
expect 0 "office A syncs" -- "$DS" -d "$A" sync --json
same "A applied" "$(jget applied <"$WORK/out")" "5"
expect 0 "office B syncs" -- "$DS" -d "$B" sync --json
same "B applied" "$(jget applied <"$WORK/out")" "3"
same "central holds 5 dossiers" "$("$CEN" --db "$DB" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "5"
for c in $(cat "$WORK/a.codes"); do agree "$A" "$DB" "$c"; done
for c in $(cat "$WORK/b.codes"); do agree "$B" "$DB" "$c"; done
same "A pulled only its agency" "$("$DS" -d "$A" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "3"
same "A status after sync" "$("$DS" -d "$A" status --json | jget pending_ops)" "0"
same "A is synced" "$("$DS" -d "$A" show "$A1" --json | jget sync)" "synced"
same "A version after 2 ops" "$("$DS" -d "$A" show "$A1" --json | jget version)" "2"

# --- the province edits on central; the office pulls it
"$CEN" --db "$DB" --actor "So Tu phap" transition "$A3" 4 --note "Sở Tư pháp tiếp nhận" >/dev/null
"$CEN" --db "$DB" update "$A3" --set 'due_at="2099-12-31T17:00:00+07:00"' >/dev/null
expect 0 "A pulls the province's edits" -- "$DS" -d "$A" sync --json
same "pulled 2" "$(jget pulled <"$WORK/out")" "2"
same "A3 status from central" "$("$DS" -d "$A" show "$A3" --json | jget status)" "4"
agree "$A" "$DB" "$A3"

# --- sync when nothing changed: nothing moves
expect 0 "an idle sync" -- "$DS" -d "$A" sync --json
same "idle: nothing pushed" "$(jget pushed <"$WORK/out")" "0"
same "idle: nothing pulled" "$(jget pulled <"$WORK/out")" "0"

# --- receipts lost in a crash: the ops go again and come back as duplicates
"$DS" -d "$A" update "$A1" --set 'summary="Đăng ký lần hai"' >/dev/null
"$DS" -d "$A" update "$A2" --set 'summary="Bổ sung giấy tờ"' >/dev/null
expect 0 "push the two" -- "$DS" -d "$A" sync
LAST=$("$DS" -d "$A" status --json | jget journal_seq)
sqlite3 "$A/agent.db" "DELETE FROM op_state WHERE seq > $((LAST - 2))"
same "two ops look pending again" "$("$DS" -d "$A" status --json | jget pending_ops)" "2"
expect 0 "resend" -- "$DS" -d "$A" sync --json
same "central answers duplicate twice" "$(jget duplicate <"$WORK/out")" "2"
same "nothing applied twice" "$(jget applied <"$WORK/out")" "0"
same "A1 version unchanged" "$("$CEN" --db "$DB" show "$A1" --json | jget version)" "3"
agree "$A" "$DB" "$A1"

# --- a rejected op: the office claims a code central already issued
"$BIN/dsgen" --count 1 --seed 9 --office $AG_A --date 2025-11-29 |
	python3 -c 'import json,sys; d=json.load(sys.stdin); d["agency"]=sys.argv[1]; print(json.dumps(d, ensure_ascii=False))' $AG_A >"$WORK/p.json"
PC=$("$CEN" --db "$DB" create "$WORK/p.json" | grep -o "$AG_A-[0-9]*-[0-9]*" | head -1)
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); d["code"]=sys.argv[2]; print(json.dumps(d, ensure_ascii=False))' "$WORK/p.json" "$PC" >"$WORK/clash.json"
expect 0 "the office records a dossier under the same code (offline)" -- "$DS" -d "$A" create "$WORK/clash.json"
expect 0 "sync with the clash" -- "$DS" -d "$A" sync --json
same "one rejected" "$(jget rejected <"$WORK/out")" "1"
expect 0 "status shows the quarantined op" -- "$DS" -d "$A" status --json
same "rejected_ops" "$(jget rejected_ops <"$WORK/out")" "1"
same "pending 0" "$(jget pending_ops <"$WORK/out")" "0"
expect 0 "journal shows why" -- "$DS" -d "$A" journal --json
python3 -c 'import json,sys; r=[e for e in json.load(open(sys.argv[1])) if e["sync"]=="rejected"]; sys.exit(0 if len(r)==1 and "exists" in r[0].get("reason","") else 1)' "$WORK/out" && pass || fail "the rejected op carries its reason"
agree "$A" "$DB" "$PC"

# --- a conflict receipt: the same dossier changed on both sides while apart
"$CEN" --db "$DB" update "$A1" --set 'summary="Sửa tại tỉnh"' >/dev/null
"$DS" -d "$A" update "$A1" --set 'applicant.address="Xóm 5, xã Nghi Phú"' >/dev/null
expect 0 "sync through a conflict" -- "$DS" -d "$A" sync --json
same "one conflict receipt" "$(jget conflict <"$WORK/out")" "1"
same "merged" "$(jget merged <"$WORK/out")" "1"
ds_a1=$("$DS" -d "$A" show "$A1" --json)
same "both edits kept: summary" "$(printf '%s' "$ds_a1" | jget summary)" "Sửa tại tỉnh"
same "both edits kept: address" "$(printf '%s' "$ds_a1" | jget applicant.address)" "Xóm 5, xã Nghi Phú"
agree "$A" "$DB" "$A1"

# --- central restarted in the middle of a long push
"$BIN/dsgen" --count 300 --seed 5 --office $AG_B >"$WORK/many.jsonl"
"$DS" -d "$B" import "$WORK/many.jsonl" >/dev/null 2>&1 ||
	while read -r l; do printf '%s' "$l" | "$DS" -d "$B" create - >/dev/null; done <"$WORK/many.jsonl"
sed -i 's/^batch_bytes = .*/batch_bytes = 4096/' "$B/config"
b_ops() { sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM ops WHERE node = 'xa-b-1'"; }
B_OPS=$(b_ops)
"$DS" -d "$B" sync >"$WORK/sync1.out" 2>"$WORK/sync1.err" &
SYNC=$!
wait_for "central applies B's first batch" 10 at_least $((B_OPS + 1)) b_ops
central_stop KILL
wait $SYNC
RC=$?
[ "$RC" = 75 ] || [ "$RC" = 0 ] && pass || fail "sync while central dies: exit $RC ($(cat "$WORK/sync1.err"))"
central_start "$DB"
expect 0 "sync after central is back" -- "$DS" -d "$B" sync --json
same "B has nothing pending" "$("$DS" -d "$B" status --json | jget pending_ops)" "0"
N_B=$("$CEN" --db "$DB" list --json --agency $AG_B | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
same "central holds every B dossier once" "$N_B" "302"
for c in $(office_codes "$B" | shuf -n 10 --random-source=<(yes)); do agree "$B" "$DB" "$c"; done

# --- a pull interrupted mid-page resumes at the stored cursor
if [ -x "$BIN/dsproxy" ]; then
	P="$WORK/proxy.ports"
	"$BIN/dsproxy" --listen 127.0.0.1:0 --target 127.0.0.1:$CENTRAL_PORT --control 127.0.0.1:0 \
		--portfile "$P" 2>"$WORK/proxy.log" &
	PIDS+=($!)
	wait_for "dsproxy writes its ports" 5 test -s "$P" || finish
	read -r PPORT CPORT <"$P"
	ctl() { exec 9<>/dev/tcp/127.0.0.1/$CPORT; printf '%s\n' "$1" >&9; read -r -t 2 reply <&9; exec 9>&-; }
	B2="$WORK/xa-b-2"
	"$DS" -d "$B2" init --office $AG_B --node xa-b-2 --central "http://127.0.0.1:$PPORT" \
		--token-file "$WORK/tok-b" --code-block 5000-5999 >/dev/null
	ctl "reset down 5000"
	expect 75 "a pull cut off mid-page" -- "$DS" -d "$B2" sync
	CUR=$("$DS" -d "$B2" status --json | jget central_cursor)
	ctl "pass"
	expect 0 "the pull resumes" -- "$DS" -d "$B2" sync --json
	same "every change arrives once" "$(sqlite3 "$B2/agent.db" 'SELECT count(*), count(DISTINCT cursor) FROM inbox')" "$(sqlite3 "$B2/agent.db" 'SELECT count(*), count(*) FROM inbox')"
	same "B2 holds every B dossier" "$("$DS" -d "$B2" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "302"
	echo "cursor after the cut: $CUR"
else
	echo "skipped: dsproxy not built (interrupted pull)"
fi

# --- the token: wrong, and central unreachable
echo "dst1.00000000.00000000000000000000000000000000" >"$WORK/tok-bad"
sed -i "s|^token_file = .*|token_file = $WORK/tok-bad|" "$A/config"
expect 77 "a refused token" -- "$DS" -d "$A" sync
expect_err "token"
sed -i "s|^token_file = .*|token_file = $WORK/tok-a|" "$A/config"
"$DS" -d "$A" update "$A2" --set 'summary="ngoại tuyến"' >/dev/null
central_stop TERM
expect 75 "central unreachable" -- "$DS" -d "$A" sync
expect_err "unreachable"
same "the change waits" "$("$DS" -d "$A" status --json | jget pending_ops)" "1"
same "status shows the error" "$("$DS" -d "$A" status --json | python3 -c 'import json,sys; print("unreachable" in (json.load(sys.stdin)["last_error"] or ""))')" "True"
central_start "$DB"
expect 0 "sync once central is back" -- "$DS" -d "$A" sync
agree "$A" "$DB" "$A2"
expect 0 "verify A" -- "$DS" -d "$A" verify
expect 0 "verify B" -- "$DS" -d "$B" verify

# --- a lost disk: the office PC is set up again (new node name) and restored from central;
# its code allocator learns the codes it issued before, so no code is issued twice
"$DS" -d "$WORK/xa-a-restored" init --office $AG_A --node xa-a-2 --central "$CENTRAL_URL" \
	--token-file "$WORK/tok-a" >/dev/null
expect 0 "restore by sync" -- "$DS" -d "$WORK/xa-a-restored" sync
same "every dossier of the office is back" "$(office_codes "$WORK/xa-a-restored" | sort)" "$(office_codes "$A" | sort)"
expect 0 "a new dossier after the restore" -- "$DS" -d "$WORK/xa-a-restored" create "$WORK/a1.json"
NEW=$(cat "$WORK/out")
if office_codes "$A" | grep -qx "$NEW"; then fail "code $NEW issued twice"; else pass; fi
finish
