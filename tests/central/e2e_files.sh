# Attachments on central (docs/PROTOCOL.md "Attachments"), on either engine: chunks are
# taken only at the length held and only when they match their SHA-256; a whole file is
# kept only when it matches; bytes come back by range; another agency sees nothing; the
# size cap and the office quota refuse with their own status and leave nothing behind.
. "$(dirname "$0")/lib.sh"
SERVE_OPTS=(--files "$WORK/files" --file-max 1200000 --office-quota 2100000)
seed
head -c 1000000 /dev/urandom >"$WORK/a.bin"
head -c 1000000 /dev/urandom >"$WORK/b.bin"
head -c 1300000 /dev/urandom >"$WORK/big.bin"
sha() { sha256sum "$1" | cut -c1-64; }
A=$(sha "$WORK/a.bin")
B=$(sha "$WORK/b.bin")
BIG=$(sha "$WORK/big.bin")
item() { printf '{"id": "%s", "name": "%s.pdf", "size": %s, "sha256": "%s"}' "$1" "$1" "$2" "$3"; }
"$CENTRAL" update "$C1" --set "attachments=[$(item a 1000000 "$A"), $(item b 1000000 "$B"), $(item big 1300000 "$BIG")]" \
	>/dev/null || die "central's edit listing the files"
T2=$(token_add "$AG2")

# piece FILE OFFSET LEN: those bytes into $WORK/piece, their SHA-256 on stdout
piece() {
	python3 -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); sys.stdout.buffer.write(f.read(int(sys.argv[3])))' \
		"$1" "$2" "$3" >"$WORK/piece"
	sha "$WORK/piece"
}
# put TOKEN SHA OFFSET CHUNKSHA: PUT $WORK/piece; sets STATUS and the answer
put() {
	rm -f "$WORK/resp.z"
	STATUS=$(curl -s -o "$WORK/resp.z" -w '%{http_code}' -X PUT -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/octet-stream' --data-binary @"$WORK/piece" \
		"$URL/v1/files/$2?code=$C1&offset=$3&chunk=$4")
	"$DSWIRE" decode <"$WORK/resp.z" >"$WORK/resp.json" 2>/dev/null || echo '{}' >"$WORK/resp.json"
}

http GET "/v1/files/$A/state?code=$C1" "$T1"
expect_status 200
same "nothing held yet" "$(resp have)/$(resp size)/$(resp complete)" 0/1000000/False
http GET "/v1/files/$A/state?code=$C1" "$T2"
expect_status 404
http GET "/v1/files/$A/state?code=$AG1-240414-0099" "$T1"
expect_status 404
http GET "/v1/files/$(sha "$WORK/piece" 2>/dev/null || echo 0)/state?code=$C1" "$T1"
expect_status 404

HB=$(piece "$WORK/b.bin" 0 400000) # the hash of other bytes
H=$(piece "$WORK/a.bin" 0 400000)
put "$T2" "$A" 0 "$H"
same "another agency may not send it" "$STATUS" 404
put "$T1" "$A" 0 "$HB"
same "a chunk that is not its hash" "$STATUS" 422
put "$T1" "$A" 0 "$H"
expect_status 200
same "first chunk held" "$(resp have)" 400000
put "$T1" "$A" 700000 "$(piece "$WORK/a.bin" 700000 300000)"
same "a chunk past the length held" "$STATUS" 409
same "409 says the length" "$(resp have)" 400000
put "$T1" "$A" 300000 "$(piece "$WORK/a.bin" 300000 300000)"
same "an overlapping chunk takes its tail" "$STATUS/$(resp have)" 200/600000
put "$T1" "$A" 600000 "$(piece "$WORK/a.bin" 600000 400000)"
same "the last chunk completes it" "$STATUS/$(resp have)/$(resp complete)" 200/1000000/True
same "kept under its hash" "$(sha "$WORK/files/${A:0:2}/$A")" "$A"
same "its row" "$(sql_rows "SELECT size, received, verified, agency FROM files WHERE sha256 = '$A'")" \
	"1000000"$'\x1f'"1000000"$'\x1f'"1"$'\x1f'"$AG1"
rm -f "$WORK/got"
STATUS=$(curl -s -o "$WORK/got" -w '%{http_code}' -H "Authorization: Bearer $T1" -r 250000-749999 \
	"$URL/v1/files/$A?code=$C1")
same "a range" "$STATUS/$(sha "$WORK/got")" "206/$(piece "$WORK/a.bin" 250000 500000)"
STATUS=$(curl -s -o "$WORK/got" -w '%{http_code}' -H "Authorization: Bearer $T1" "$URL/v1/files/$A?code=$C1")
same "the whole file" "$STATUS/$(sha "$WORK/got")" "200/$A"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T2" "$URL/v1/files/$A?code=$C1")
same "another agency may not read it" "$STATUS" 404

# a whole file that does not match: every chunk matches its hash, the file does not
put "$T1" "$B" 0 "$(piece "$WORK/a.bin" 0 500000)"
expect_status 200
put "$T1" "$B" 500000 "$(piece "$WORK/a.bin" 500000 500000)"
same "a file that is not its hash" "$STATUS/$(resp have)" 422/0
[ ! -e "$WORK/files/${B:0:2}/$B" ] && pass || fail "the mismatched file was kept"
http GET "/v1/files/$B?code=$C1" "$T1"
expect_status 404

# the cap and the quota
put "$T1" "$BIG" 0 "$(piece "$WORK/big.bin" 0 100000)"
same "over the size cap" "$STATUS" 413
contains "the cap is named" "$(resp error)" "over central's cap of 1200000 bytes"
put "$T1" "$B" 0 "$(piece "$WORK/b.bin" 0 100000)"
same "b: the row of the bad try is reused" "$STATUS" 200
head -c 200000 /dev/urandom >"$WORK/c.bin"
C=$(sha "$WORK/c.bin")
"$CENTRAL" update "$C1" --set "attachments=[$(item a 1000000 "$A"), $(item b 1000000 "$B"), $(item c 200000 "$C")]" \
	>/dev/null || die "central's edit listing c"
put "$T1" "$C" 0 "$(piece "$WORK/c.bin" 0 100000)"
same "over the office's quota" "$STATUS" 507
contains "the quota is named" "$(resp error)" "attachment quota is used up: 2000000 of 2100000"
same "files charged to the office" "$(sql_rows "SELECT count(*), sum(size) FROM files WHERE agency = '$AG1'")" "2"$'\x1f'"2000000"
finish
