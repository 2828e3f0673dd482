#!/usr/bin/env bash
# local_api.sh: the local API of `dossync daemon --http` (docs/LOCAL-API.md) driven with
# curl: every call, the key (none, wrong), bad JSON, an oversized body, an unknown code, an
# illegal move, a busy writer lock -> the documented statuses with the CLI's one line, and
# the journal unchanged by every refusal. The daemon's sync round is stuck on the network
# (a central that accepts and never answers) while a clerk's create is timed: it must not
# wait for it. Then the curl examples of docs/LOCAL-API.md run as written.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
DOCS="$(cd "$(dirname "$0")/../../docs" && pwd)"
D="$WORK/office"
ds() { "$DS" -d "$D" --actor lan "$@"; }
jlen() { ds journal --json | jget "" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# A central that accepts connections and never answers: each accept is a line in a file.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)
    with open(sys.argv[2], "a") as f: f.write("accepted\n")
' "$WORK/hole.port" "$WORK/hole.log" &
PIDS+=($!)
poll_until 10 test -s "$WORK/hole.port" || { echo "FATAL: no black-hole central" >&2; exit 1; }
echo token-of-xa1 >"$WORK/token"
CENTRAL_URL="http://127.0.0.1:$(cat "$WORK/hole.port")"
office_init "$D" 000.00.12.H22 xa1 "$WORK/token"

# --- the key: made by init, mode 0600
same "api.key mode" "$(stat -c %a "$D/api.key")" "600"
KEY=$(cat "$D/api.key")
same "api.key is 64 hex digits" "$(grep -cE '^[0-9a-f]{64}$' "$D/api.key")" "1"

# --- only loopback
expect 64 "--http on every address" -- ds daemon --http 0.0.0.0:8080
expect_err "not a loopback address"
expect 64 "--http without a port" -- ds daemon --http 127.0.0.1
expect_err "not a loopback address"

DOSSYNC_LOCK_WAIT=1 "$DS" -d "$D" --actor lan daemon --http 127.0.0.1:0 --port-file "$WORK/api.port" 2>"$WORK/daemon.log" &
DPID=$!
PIDS+=($DPID)
poll_until 10 up_or_gone "$WORK/api.port" "$DPID"
[ -s "$WORK/api.port" ] || { echo "FATAL: no API: $(tail -3 "$WORK/daemon.log")" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$WORK/api.port")"

# api WANT-STATUS WHAT -- curl-arguments...: one call with the key; the body is left in
# $WORK/body.
api() {
	local want=$1 what=$2 got
	shift 3
	got=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $KEY" "$@")
	same "$what: HTTP status" "$got" "$want"
}
body() { jget "$1" <"$WORK/body"; }
# The API's error line must be the CLI's (stderr of the last expect without "dossync: ").
same_error() { same "$1: error as the CLI's" "$(body error)" "$(sed 's/^dossync: //' "$WORK/err")"; }

# --- a clerk's call while the sync round waits on the network
wait_for "the daemon's round reached central" 20 grep -q accepted "$WORK/hole.log"
t=$(curl -s -o "$WORK/body" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $KEY" \
	--data-binary @"$E2E_DATA/birth.json" "$URL/api/dossiers")
same "create during a stuck round" "${t% *}" "201"
echo "create answered in ${t#* } s while the daemon's round waited on central"
python3 -c "import sys; sys.exit(0 if float('${t#* }') < 1.0 else 1)" && pass ||
	fail "a create took ${t#* } s during a round stuck on the network"
CODE=$(body code)
same "allocated code" "$CODE" "000.00.12.H22-240414-0001"
N=$(jlen)
same "one journal entry" "$N" "1"

# --- the key, refused: no key, or the key with its last digit changed
WRONG=${KEY%?}$([ "${KEY: -1}" = 0 ] && echo 1 || echo 0)
same "no key" "$(curl -s -o "$WORK/body" -w '%{http_code}' "$URL/api/status")" "401"
same "wrong key" "$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $WRONG" \
	--data-binary @"$E2E_DATA/birth.json" "$URL/api/dossiers")" "401"
grep -q "Bearer KEY" "$WORK/body" && pass || fail "401 body: $(cat "$WORK/body")"
same "a refused create writes nothing" "$(jlen)" "$N"

# --- reads
api 200 "status" -- "$URL/api/status"
same "status pending_ops" "$(body pending_ops)" "1"
ds status --json >"$WORK/cli.json"
same "status as the CLI's" "$(body journal_seq)" "$(jget journal_seq <"$WORK/cli.json")"
api 200 "show" -- "$URL/api/dossiers/$CODE"
same "show code" "$(body code)" "$CODE"
same "show sync" "$(body sync)" "pending"
same "show version" "$(body version)" "0"
api 200 "list" -- "$URL/api/dossiers"
same "list" "$(body 0.code)" "$CODE"
api 200 "list --status 2" -- "$URL/api/dossiers?status=2"
same "list status 2" "$(body "" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "1"
api 200 "list --status 5" -- "$URL/api/dossiers?status=5"
same "list status 5" "$(cat "$WORK/body" | tr -d ' \n')" "[]"
api 200 "list --overdue" -- "$URL/api/dossiers?overdue=1"
same "list overdue" "$(body 0.overdue)" "True"
api 400 "list with a bad status" -- "$URL/api/dossiers?status=11"
# search and filters: the same reader as `list`'s options, the same rows and messages
api 200 "search by a name without diacritics" -- "$URL/api/dossiers?search=pham%20ngoc&status=2"
same "search finds it" "$(body 0.code)" "$CODE"
ds list --search "pham ngoc" --status 2 --json >"$WORK/cli.json"
same "search as the CLI's" "$(body "" | canon)" "$(canon <"$WORK/cli.json")"
api 400 "a search too short" -- "$URL/api/dossiers?search=ph"
expect 65 "the CLI's search too short" -- ds list --search ph
same_error "search too short"
api 400 "an unknown filter" -- "$URL/api/dossiers?colour=red"
api 200 "report" -- "$URL/api/report?from=2024-04-01&to=2024-04-30"
ds report --from 2024-04-01 --to 2024-04-30 --json >"$WORK/cli.json"
same "report as the CLI's" "$(body total.received)" "$(jget total.received <"$WORK/cli.json")"
api 400 "report with a bad day" -- "$URL/api/report?from=April"
api 200 "conflicts" -- "$URL/api/conflicts"
same "no conflicts" "$(cat "$WORK/body" | tr -d ' \n')" "[]"

# --- unknown code, with the CLI's message
api 404 "show an unknown code" -- "$URL/api/dossiers/000.00.12.H22-240414-0099"
expect 65 "CLI show of an unknown code" -- ds show 000.00.12.H22-240414-0099
same_error "unknown code"

# --- update
api 200 "update" -- -X PATCH --data '{"applicant": {"phone": "0912345678"}}' "$URL/api/dossiers/$CODE"
same "updated phone" "$(body applicant.phone)" "0912345678"
N=$((N + 1))
same "update journalled" "$(jlen)" "$N"
echo '{"received_at": "not a time"}' >"$WORK/bad.json"
api 400 "update with a bad field" -- -X PATCH --data-binary @"$WORK/bad.json" "$URL/api/dossiers/$CODE"
expect 65 "CLI update with a bad field" -- ds update "$CODE" --patch "$WORK/bad.json"
same_error "bad field"
api 404 "update of an unknown code" -- -X PATCH --data '{"summary": "x"}' "$URL/api/dossiers/000.00.12.H22-240414-0099"

# --- bad bodies
api 400 "bad JSON" -- --data '{"procedure": ' "$URL/api/dossiers"
grep -q "line" "$WORK/body" && pass || fail "bad JSON names no line: $(cat "$WORK/body")"
api 400 "not an object" -- --data '[1]' "$URL/api/dossiers"
api 400 "empty body" -- -X POST "$URL/api/dossiers"
head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/big"
api 413 "oversized body" -- --data-binary @"$WORK/big" "$URL/api/dossiers"
api 413 "oversized chunked body" -- -H "Transfer-Encoding: chunked" --data-binary @"$WORK/big" "$URL/api/dossiers"
same "refused bodies write nothing" "$(jlen)" "$N"

# --- transitions
api 409 "illegal move" -- --data '{"status": 10}' "$URL/api/dossiers/$CODE/transition"
expect 65 "CLI illegal move" -- ds transition "$CODE" 10
same_error "illegal move"
api 400 "status out of range" -- --data '{"status": 11}' "$URL/api/dossiers/$CODE/transition"
api 404 "transition of an unknown code" -- --data '{"status": 4}' "$URL/api/dossiers/000.00.12.H22-240414-0099/transition"
same "refused moves write nothing" "$(jlen)" "$N"
api 200 "transition" -- --data '{"status": 4, "note": "chuyển xử lý"}' "$URL/api/dossiers/$CODE/transition"
same "moved" "$(body status)" "4"
N=$((N + 1))
same "transition journalled" "$(jlen)" "$N"
same "actor of the daemon" "$(ds journal --json | jget "$((N - 1)).actor")" "lan"
api 200 "transition with another actor" -- -H "X-Dossync-Actor: mai" --data '{"status": 5}' "$URL/api/dossiers/$CODE/transition"
N=$((N + 1))
api 400 "an actor that is not UTF-8" -- -H $'X-Dossync-Actor: \xff' --data '{"status": 4}' "$URL/api/dossiers/$CODE/transition"
same "actor named by the call" "$(ds journal --json | jget "$((N - 1)).actor")" "mai"

# --- attach: the body is the scan; the same checks and item as `dossync attach`
head -c 3000000 /dev/urandom >"$WORK/scan.pdf" # over the 1 MiB of a JSON body
SHA=$(sha256sum "$WORK/scan.pdf" | cut -c1-64)
api 201 "attach" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments?name=to-khai.pdf&kind=scan"
same "attach: the item's hash" "$(body sha256)" "$SHA"
same "attach: the item's size" "$(body size)" "3000000"
same "attach: the item's mime" "$(body mime)" "application/pdf"
N=$((N + 1))
same "attach journalled" "$(jlen)" "$N"
same "attach: the file kept" "$(sha256sum "$D/files/${SHA:0:2}/$SHA" | cut -c1-64)" "$SHA"
same "attach: in the dossier" "$(ds show "$CODE" --json | jget attachments.0.sha256)" "$SHA"
same "attach: in the backlog" "$(ds status --json | jget attachments.files)" "1"
api 400 "attach the same file again" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments?name=again.pdf"
expect 65 "CLI attach of the same file" -- ds attach "$CODE" "$WORK/scan.pdf"
same "the same refusal" "$(body error | sed 's/ .*//')" "$(sed 's/^dossync: //; s/ .*//' "$WORK/err")"
api 400 "attach without a name" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments"
api 400 "attach with a path for a name" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments?name=a/b.pdf"
api 400 "attach with a bad kind" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments?name=x.pdf&kind=photo"
api 400 "attach with an unknown argument" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/$CODE/attachments?name=x.pdf&colour=red"
api 404 "attach to an unknown code" -- --data-binary @"$WORK/scan.pdf" "$URL/api/dossiers/000.00.12.H22-240414-0099/attachments?name=x.pdf"
api 413 "a scan over 1 MiB is not a JSON body" -- --data-binary @"$WORK/big" "$URL/api/dossiers/$CODE/transition"
same "refused attaches write nothing" "$(jlen)" "$N"

# --- resolve: no conflict here (tests/e2e/conflicts.sh makes real ones for the CLI)
api 404 "resolve without a conflict" -- --data '{"field": "summary", "how": "ours"}' "$URL/api/dossiers/$CODE/resolve"
expect 65 "CLI resolve without a conflict" -- ds resolve "$CODE" summary --ours
same_error "resolve"
api 400 "resolve without how" -- --data '{"field": "summary"}' "$URL/api/dossiers/$CODE/resolve"
api 400 "resolve with value but how ours" -- --data '{"field": "summary", "how": "ours", "value": 1}' "$URL/api/dossiers/$CODE/resolve"

# --- routes
api 404 "unknown call" -- "$URL/api/nothing"
api 400 "a code that is not UTF-8" -- "$URL/api/dossiers/%FF"
api 400 "wrong method" -- -X DELETE "$URL/api/dossiers/$CODE"
same "no key for /" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" "200"

# --- the writer lock: a writer holds it longer than DOSSYNC_LOCK_WAIT (1 s) -> 503
flock "$D/lock" sleep 3 &
FPID=$!
PIDS+=($FPID)
poll_until 5 bash -c "! flock -n '$D/lock' true"
api 503 "create while another writer holds the lock" -- --data-binary @"$E2E_DATA/birth.json" "$URL/api/dossiers"
grep -q "in use" "$WORK/body" && pass || fail "503 body: $(cat "$WORK/body")"
wait "$FPID"
same "a busy lock writes nothing" "$(jlen)" "$N"

# --- an existing data directory without a key gets one on the first daemon --http
kill "$DPID"
wait "$DPID"
rm "$D/api.key"
"$DS" -d "$D" --actor lan daemon --http 127.0.0.1:0 --port-file "$WORK/api2.port" 2>>"$WORK/daemon.log" &
DPID=$!
PIDS+=($DPID)
poll_until 10 up_or_gone "$WORK/api2.port" "$DPID"
same "a new key" "$(stat -c %a "$D/api.key" 2>&1)" "600"
KEY=$(cat "$D/api.key")
URL="http://127.0.0.1:$(cat "$WORK/api2.port")"
api 200 "the new key works" -- "$URL/api/status"

# --- the examples of docs/LOCAL-API.md, as written: "# CALL -> STATUS" above each curl
run_examples() {
	local want="" alt="" line got n=0
	cd "$WORK/ex" || return 1
	while IFS= read -r line; do
		if [[ $line =~ ^#.*-\>\ ([0-9]{3})( \(or\ ([0-9]{3}).*\))?$ ]]; then
			want=${BASH_REMATCH[1]} alt=${BASH_REMATCH[3]}
		elif [[ $line == curl* ]]; then
			got=$(eval "$line -o body -w '%{http_code}'")
			[ -n "$alt" ] && [ "$got" = "$alt" ] && got=$want
			same "docs/LOCAL-API.md example '${line:0:60}...'" "$got" "$want"
			n=$((n + 1))
		fi
	done < <(sed -n '/^```sh$/,/^```$/p' "$DOCS/LOCAL-API.md")
	[ "$n" -ge 8 ] && pass || fail "only $n examples in docs/LOCAL-API.md"
}
mkdir "$WORK/ex"
cp "$E2E_DATA/birth.json" "$WORK/ex/dossier.json"
head -c 200000 /dev/urandom >"$WORK/ex/to-khai.pdf"
D="$WORK/office2"
office_init "$D" 000.00.12.H22 xb1 "$WORK/token"
kill "$DPID"
wait "$DPID"
"$DS" -d "$D" --actor lan daemon --http 127.0.0.1:0 --port-file "$WORK/api3.port" 2>>"$WORK/daemon.log" &
DPID=$!
PIDS+=($DPID)
poll_until 10 up_or_gone "$WORK/api3.port" "$DPID"
export PORT=$(cat "$WORK/api3.port") KEY=$(cat "$D/api.key") DIR=$D
run_examples

# --- a real conflict resolved through the API: a field left to a person, changed on both
# sides
kill "$DPID"
wait "$DPID"
cd "$WORK" || exit 1
central_fresh "$WORK/central.db" 000.00.12.H22 "$WORK/tok"
D="$WORK/office3"
office_init "$D" 000.00.12.H22 xc1 "$WORK/tok"
echo "policy.summary = manual" >>"$D/config"
C=$(ds create "$E2E_DATA/birth.json")
expect 0 "first sync" -- ds sync
expect 0 "office edit" -- ds update "$C" --set 'summary="Theo văn phòng"'
"$BIN/dossync-central" --db "$WORK/central.db" --actor so update "$C" --set 'summary="Theo tỉnh"' >/dev/null
expect 0 "sync with a conflict" -- ds sync
same "one conflict open" "$(ds status --json | jget open_conflicts)" "1"
"$DS" -d "$D" daemon --http 127.0.0.1:0 --port-file "$WORK/api4.port" 2>>"$WORK/daemon.log" &
DPID=$!
PIDS+=($DPID)
poll_until 10 up_or_gone "$WORK/api4.port" "$DPID"
URL="http://127.0.0.1:$(cat "$WORK/api4.port")" KEY=$(cat "$D/api.key")
api 200 "conflicts" -- "$URL/api/conflicts"
same "the conflict listed" "$(body 0.field)" "summary"
api 200 "resolve" -- --data '{"field": "summary", "how": "theirs"}' "$URL/api/dossiers/$C/resolve"
same "resolved" "$(body how)" "theirs"
same "the province's summary kept" "$(ds show "$C" --json | jget summary)" "Theo tỉnh"
api 200 "conflicts after" -- "$URL/api/conflicts"
same "no conflict left" "$(tr -d ' \n' <"$WORK/body")" "[]"
same "resolve journalled" "$(ds journal --json | jget "" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["kind"])')" "resolve"

finish
