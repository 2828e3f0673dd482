#!/usr/bin/env bash
# attach.sh: scans go with their dossiers (issue 16). attach, sync and fetch on another PC
# give back the same bytes; the same scan on two dossiers is sent and kept once; an upload
# cut mid-file resumes where central stands; a chunk or a file that does not match its
# SHA-256 is refused and never kept (also a chunk the link corrupts: the proxy flips a
# byte), and is sent again; central's size cap and quota refuse clearly; a clerk's
# change made during a long upload reaches central at once; and SIGKILLs of the agent
# mid-chunk and of central mid-upload lose nothing and store nothing corrupt.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/attach_lib.sh"
echo "seed $SEED"
RANDOM=$SEED
CDB=$WORK/central.db
CF=$WORK/cfiles
O=$WORK/office
O2=$WORK/office2

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
at_central_start "$CDB" --files "$CF" --file-max 4000000 --office-quota 16500000
fl_proxy_start
fl_office "$O" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" "backoff_base_ms = 200" \
	"backoff_cap_ms = 1000" "low_speed_bytes = 50" "low_speed_time = 3"
fl_office "$O2" xa2 "$FL_URL" "$WORK/token" "$FL_AGENCY"
D1=$(at_dossier "$O")
D2=$(at_dossier "$O")
D3=$(at_dossier "$O")

# --- errors write nothing
at_scan "$WORK/s1.pdf" 1500000
at_scan "$WORK/s2.jpg" 700000
SEQ=$("$DS" -d "$O" status --json | jget journal_seq)
expect 65 "a missing file" -- "$DS" -d "$O" attach "$D1" "$WORK/nothere.pdf"
expect_err "nothere.pdf"
expect 65 "an unknown dossier" -- "$DS" -d "$O" attach "${D1%-*}-0999" "$WORK/s1.pdf"
expect_err "no dossier"
expect 65 "an unknown component" -- "$DS" -d "$O" attach "$D1" "$WORK/s1.pdf" --component c9
expect_err "no component c9"
expect 64 "a bad kind" -- "$DS" -d "$O" attach "$D1" "$WORK/s1.pdf" --kind photo
same "nothing journalled by refused attaches" "$("$DS" -d "$O" status --json | jget journal_seq)" "$SEQ"
same "no file kept by refused attaches" "$(find "$O/files" -type f 2>/dev/null | wc -l)" 0

# --- attach offline: the item is in the record at once
expect 0 "attach a scan" -- "$DS" -d "$O" attach "$D1" "$WORK/s1.pdf" --component c1 --json
same "the item's sha256" "$(jget sha256 <"$WORK/out")" "$(at_sha "$WORK/s1.pdf")"
same "the item's kind" "$(jget kind <"$WORK/out")" scan
expect 0 "the same scan for another dossier" -- "$DS" -d "$O" attach "$D2" "$WORK/s1.pdf"
expect 0 "a second scan" -- "$DS" -d "$O" attach "$D1" "$WORK/s2.jpg" --kind result
expect 65 "the same scan twice on one dossier" -- "$DS" -d "$O" attach "$D1" "$WORK/s1.pdf"
expect_err "lists this file already"
same "two files wait (the shared scan once)" "$(at_backlog "$O")" 2
same "their bytes" "$(at_backlog "$O" bytes)" 2200000
"$DS" -d "$O" show "$D1" --json | jget attachments >"$WORK/items"
same "two items on D1" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/items")" 2

# --- sync: records first, then the files, each once
fl_ctl zero >/dev/null
expect 0 "sync sends records and files" -- "$DS" -d "$O" sync
same "backlog empty" "$(at_backlog "$O")" 0
same "central keeps s1" "$(at_central_file "$CF" "$(at_sha "$WORK/s1.pdf")")" "$(at_sha "$WORK/s1.pdf")"
same "central keeps s2" "$(at_central_file "$CF" "$(at_sha "$WORK/s2.jpg")")" "$(at_sha "$WORK/s2.jpg")"
UP=$(fl_stat bytes_up)
echo "2 files of 2,200,000 bytes (s1 listed twice): $UP bytes up"
[ "$UP" -lt 2300000 ] && pass || fail "the shared scan was sent twice? $UP bytes up"
agree "$O" "$CDB" "$D1"

# --- fetch on another PC of the office
expect 0 "the second PC syncs" -- "$DS" -d "$O2" sync
expect 0 "fetch D1" -- "$DS" -d "$O2" fetch "$D1" --out "$WORK/out1"
expect_out "2 files brought"
same "s1 fetched intact" "$(at_sha "$WORK/out1/s1.pdf")" "$(at_sha "$WORK/s1.pdf")"
same "s2 fetched intact" "$(at_sha "$WORK/out1/s2.jpg")" "$(at_sha "$WORK/s2.jpg")"
expect 0 "fetch D2: the shared scan is here already" -- "$DS" -d "$O2" fetch "$D2"
expect_out "0 files brought"

# --- the link cut every 300 KB: the upload resumes where central stands
at_scan "$WORK/s3.pdf" 2000000
expect 0 "attach s3" -- "$DS" -d "$O" attach "$D3" "$WORK/s3.pdf"
expect 0 "sync the record" -- "$DS" -d "$O" sync
fl_ctl pass >/dev/null
fl_ctl zero >/dev/null
at_scan "$WORK/s3b.pdf" 2000000
expect 0 "attach s3b" -- "$DS" -d "$O" attach "$D3" "$WORK/s3b.pdf"
fl_ctl bandwidth 300000 >/dev/null # a link, not a memory copy: central reads as it comes
fl_ctl reset up 300000 >/dev/null
at_sync_drained "$O" 40 && pass || fail "s3b did not arrive over a link cut every 300 KB"
fl_ctl pass >/dev/null
UP=$(fl_stat bytes_up)
echo "2,000,000 bytes through a link cut every 300,000: $UP bytes up in $AT_SYNCS syncs"
same "s3b arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/s3b.pdf")")" "$(at_sha "$WORK/s3b.pdf")"
[ "$UP" -le 2100000 ] && pass || fail "a cut link cost $UP bytes for 2,000,000 (want <= 105%)"

# --- a chunk or a whole file that does not match its SHA-256 is refused, never kept
D4=$(at_dossier "$O")
at_scan "$WORK/s4.pdf" 600000
at_scan "$WORK/bad.pdf" 600000
S4=$(at_sha "$WORK/s4.pdf")
"$DS" -d "$O" sync >/dev/null
"$DSC" --db "$CDB" update "$D4" --set \
	"attachments=[{\"id\": \"p1\", \"name\": \"ket-qua.pdf\", \"size\": 600000, \"sha256\": \"$S4\"}]" \
	>/dev/null || fail "central's edit adding an attachment"
TOK=$(cat "$WORK/token")
put_chunk() { # put_chunk FILE OFFSET LEN CHUNKSHA: prints the HTTP status
	python3 -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); sys.stdout.buffer.write(f.read(int(sys.argv[3])))' \
		"$1" "$2" "$3" >"$WORK/piece"
	curl -s -o "$WORK/answer" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/octet-stream' --data-binary @"$WORK/piece" \
		"$FL_URL/v1/files/$S4?code=$D4&offset=$2&chunk=${4:-$(sha256sum "$WORK/piece" | cut -c1-64)}"
}
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read(65536)); b[1000]^=1; open(sys.argv[2],"wb").write(b)' \
	"$WORK/s4.pdf" "$WORK/flipped"
GOOD=$(head -c 65536 "$WORK/s4.pdf" | sha256sum | cut -c1-64)
same "a chunk with a flipped byte is refused (422)" "$(put_chunk "$WORK/flipped" 0 65536 "$GOOD")" 422
same "nothing of it is kept" "$(python3 -c 'import zlib,json,sys; print(json.loads(zlib.decompress(open(sys.argv[1],"rb").read()))["have"])' "$WORK/answer")" 0
same "a chunk past the length held is refused (409)" "$(put_chunk "$WORK/s4.pdf" 65536 1000)" 409
same "other bytes, each chunk matching: taken" "$(put_chunk "$WORK/bad.pdf" 0 300000)" 200
same "the last chunk makes a file that does not match (422)" "$(put_chunk "$WORK/bad.pdf" 300000 300000)" 422
same "the mismatched file is not kept" "$(at_central_file "$CF" "$S4")" none
expect 0 "the office pulls central's item" -- "$DS" -d "$O" sync
expect 75 "fetch of a file central lacks" -- "$DS" -d "$O" fetch "$D4"
expect_err "does not hold the whole file"
same "the right bytes in two chunks" "$(put_chunk "$WORK/s4.pdf" 0 300000)$(put_chunk "$WORK/s4.pdf" 300000 300000)" 200200
expect 0 "fetch central's file" -- "$DS" -d "$O" fetch "$D4" --out "$WORK/out4"
same "it matches" "$(at_sha "$WORK/out4/ket-qua.pdf")" "$S4"

# --- the link corrupts one byte of an upload (the proxy flips it on the way, far past the
# records): central refuses that chunk, the agent sends it again, the file arrives whole
D6=$(at_dossier "$O")
at_scan "$WORK/s6.pdf" 600000
S6=$(at_sha "$WORK/s6.pdf")
expect 0 "attach s6" -- "$DS" -d "$O" attach "$D6" "$WORK/s6.pdf"
fl_ctl pass >/dev/null
fl_ctl zero >/dev/null
FLIP_LOG_FROM=$(wc -c <"$WORK/central.log")
same "the proxy will flip byte 150000 up" "$(fl_ctl 'flip up 150000')" ok
at_sync_drained "$O" 5 && pass || fail "s6 never drained after a flipped byte"
same "s6 arrived whole" "$(at_central_file "$CF" "$S6")" "$S6"
tail -c +$((FLIP_LOG_FROM + 1)) "$WORK/central.log" >"$WORK/central.log.flip"
grep -q "/v1/files 422 " "$WORK/central.log.flip" && pass ||
	fail "no chunk was refused (422) after the flip: $(grep /v1/files "$WORK/central.log.flip" | head -3)"
UP=$(fl_ctl stats | jget bytes_up)
[ "$UP" -gt 600000 ] && [ "$UP" -lt 900000 ] && pass ||
	fail "bytes up with one chunk sent again: $UP (file 600000)"

# --- a clerk's change during a long upload reaches central at once
at_scan "$WORK/s5.pdf" 3000000
expect 0 "attach s5" -- "$DS" -d "$O" attach "$D2" "$WORK/s5.pdf"
fl_ctl bandwidth 150000 >/dev/null
fl_daemon_start "$O" "$WORK/daemon.log"
DPID=$FL_DAEMON_PID
uploading() { [ "$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*) FROM files WHERE received > 0 AND verified = 0").fetchone()[0])' "$CDB")" != 0 ]; }
wait_for "the upload of s5 starts" 20 uploading
"$DS" -d "$O" transition "$D1" 4 --note "chuyển xử lý" >/dev/null || fail "transition"
central_status() { "$DSC" --db "$CDB" show "$D1" --json | jget status; }
wait_for "the move reaches central while s5 uploads" 8 output_is 4 central_status
echo "the move reached central in $POLL_MS ms while s5 was on its way"
same "s5 is still on its way" "$(at_backlog "$O")" 1
fl_ctl pass >/dev/null
drained() { [ "$(at_backlog "$O")" = 0 ]; }
wait_for "the daemon sends s5" 60 drained
fl_daemon_stop "$DPID"
same "s5 arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/s5.pdf")")" "$(at_sha "$WORK/s5.pdf")"

# --- the agent SIGKILLed mid-chunk 20 times, at random moments
at_scan "$WORK/s6.pdf" 2500000
expect 0 "attach s6" -- "$DS" -d "$O" attach "$D3" "$WORK/s6.pdf"
fl_ctl bandwidth 400000 >/dev/null
for i in $(seq 1 20); do
	"$DS" -d "$O" sync >>"$WORK/sync.log" 2>&1 &
	p=$!
	sleep "0.$((RANDOM % 6 + 1))" # the kill lands at a random moment of the upload
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
fl_ctl pass >/dev/null
at_sync_drained "$O" 10 && pass || fail "s6 did not arrive after 20 kills"
same "s6 arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/s6.pdf")")" "$(at_sha "$WORK/s6.pdf")"
expect 0 "the office journal verifies" -- "$DS" -d "$O" verify

# --- central SIGKILLed mid-upload
at_scan "$WORK/s7.pdf" 2000000
expect 0 "attach s7" -- "$DS" -d "$O" attach "$D1" "$WORK/s7.pdf"
fl_ctl bandwidth 300000 >/dev/null
"$DS" -d "$O" sync >>"$WORK/sync.log" 2>&1 &
p=$!
wait_for "the upload of s7 starts" 20 uploading
fl_central_stop KILL
wait "$p"
same "the sync fails with 75 when central dies" "$?" 75
at_central_start "$CDB"
fl_ctl pass >/dev/null
at_sync_drained "$O" 10 && pass || fail "s7 did not arrive after central's crash"
same "s7 arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/s7.pdf")")" "$(at_sha "$WORK/s7.pdf")"

# --- 503s while the link is cut mid-chunk: the round gives up (75), the next one goes on
at_scan "$WORK/s8.pdf" 1500000
expect 0 "attach s8" -- "$DS" -d "$O" attach "$D2" "$WORK/s8.pdf"
fl_ctl bandwidth 300000 >/dev/null
"$DS" -d "$O" sync >>"$WORK/sync.log" 2>&1 &
p=$!
wait_for "the upload of s8 starts" 20 uploading
fl_ctl http503 >/dev/null # new connections get 503...
fl_ctl reset up 100000 >/dev/null # ...once the one in use is cut mid-chunk
wait "$p"
same "the sync gives up with 75" "$?" 75
fl_ctl pass >/dev/null
same "s8 is not kept yet" "$(at_central_file "$CF" "$(at_sha "$WORK/s8.pdf")")" none
at_sync_drained "$O" 10 && pass || fail "s8 did not arrive after the 503s"
same "s8 arrived intact" "$(at_central_file "$CF" "$(at_sha "$WORK/s8.pdf")")" "$(at_sha "$WORK/s8.pdf")"

# --- central's size cap and the office's quota: clear refusals, the file waits
at_scan "$WORK/big.pdf" 4500000
expect 0 "attach a file over central's cap" -- "$DS" -d "$O" attach "$D2" "$WORK/big.pdf"
expect 0 "the records still sync" -- "$DS" -d "$O" sync
same "the big file waits, refused" "$(at_backlog "$O" refused)" 1
expect 0 "status" -- "$DS" -d "$O" status
expect_out "1 refused by central"
expect_out "over central's cap of 4000000 bytes per file"
same "central keeps none of it" "$(at_central_file "$CF" "$(at_sha "$WORK/big.pdf")")" none
at_scan "$WORK/q.pdf" 1500000
expect 0 "attach a file past the quota" -- "$DS" -d "$O" attach "$D3" "$WORK/q.pdf"
expect 0 "sync" -- "$DS" -d "$O" sync
same "both wait, refused" "$(at_backlog "$O" refused)" 2
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*) FROM files WHERE sha256 = ?", (sys.argv[2],)).fetchone()[0])' \
	"$CDB" "$(at_sha "$WORK/q.pdf")" >"$WORK/qrow"
same "the quota refusal leaves no row" "$(cat "$WORK/qrow")" 0
expect 0 "status --json" -- "$DS" -d "$O" status --json
expect_out "attachment quota is used up"

# --- every file central keeps matches its name; no part is left over
for f in "$CF"/??/*; do
	[ "$(at_sha "$f")" = "$(basename "$f")" ] && pass || fail "central keeps $f with other bytes"
done
finish
