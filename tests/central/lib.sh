# lib.sh: what the central end-to-end scripts share. Each script sources it, starts its
# own dossync-central on 127.0.0.1 with a free port (--listen 127.0.0.1:0 --port-file)
# and a fresh database in a temp folder, and drives it with curl and dswire. The server
# is stopped by its PID when the script exits. DOSSYNC_BIN: the folder of the binaries.
# DOSSYNC_TEST_PG: the state folder of a private PostgreSQL cluster (pg_cluster.sh); the
# script then runs against a new database of its own there, dropped at exit, instead of
# a SQLite file.
set -uo pipefail

BIN=$(cd "${DOSSYNC_BIN:-$(dirname "${BASH_SOURCE[0]}")/../../build/bin}" && pwd)
CENTRAL=$BIN/dossync-central
DSWIRE=$BIN/dswire
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dscentral-e2e.XXXXXX")
export DOSSYNC_CENTRAL_DB=$WORK/central.db
PG_DB=""
PG_ADMIN=""
if [ -n "${DOSSYNC_TEST_PG:-}" ]; then
	PG_ADMIN="postgresql://postgres@127.0.0.1:$(cat "$DOSSYNC_TEST_PG/port")"
	PG_DB=t_$(basename "$WORK" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
	psql -q "$PG_ADMIN/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null ||
		{ echo "FATAL: cannot create database $PG_DB on the test cluster" >&2; exit 1; }
	export DOSSYNC_CENTRAL_DB="$PG_ADMIN/$PG_DB"
fi
SERVER_PID=""
URL=""
SERVE_OPTS=() # more options for serve (start_central)
FAILS=0
CHECKS=0
AG1=000.00.12.H22
AG2=000.00.34.H22

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
	[ -z "$PG_DB" ] || [ "${KEEP_WORK:-0}" = 1 ] ||
		psql -q "$PG_ADMIN/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }
. "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh" # wait_for, poll_until
die() { echo "FATAL: $*" >&2; [ -f "$WORK/serve.log" ] && tail -5 "$WORK/serve.log" >&2; exit 1; }
same() { if [ "$2" == "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi; }
contains() { # contains WHAT HAYSTACK NEEDLE
	if [[ "$2" == *"$3"* ]]; then pass; else fail "$1: '$(echo "$2" | head -c 400)' lacks '$3'"; fi
}

# Stops the server if it runs (it must exit 0 on SIGTERM) and checks its log holds no
# sanitizer report, then prints the tally and exits.
finish() {
	[ -n "$SERVER_PID" ] && stop_central
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$WORK/serve.log" 2>/dev/null; then
		fail "sanitizer report in the server log:"
		grep -E -A12 'AddressSanitizer|LeakSanitizer|runtime error' "$WORK/serve.log" | head -40 >&2
	else
		pass
	fi
	echo "$CHECKS checks passed, $FAILS failed"
	[ "$FAILS" = 0 ]
	exit $?
}

# A JSON value of stdin by a dotted path (a.b.0.c); objects and lists print as JSON.
jget() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split(".") if sys.argv[1] else []:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list)) else v)' "$1"
}

# sql_rows SQL: the rows of a query on the central database, one a line, the columns
# separated by the unit separator (0x1f); either engine.
sql_rows() {
	if [ -n "$PG_DB" ]; then
		psql -qAt -F $'\x1f' "$DOSSYNC_CENTRAL_DB" -c "$1"
	else
		sqlite3 -separator $'\x1f' "$DOSSYNC_CENTRAL_DB" "$1"
	fi
}

# Everything the central database holds, as SQL text (either engine).
db_dump() {
	if [ -n "$PG_DB" ]; then pg_dump "$DOSSYNC_CENTRAL_DB"; else sqlite3 "$DOSSYNC_CENTRAL_DB" .dump; fi
}

# ---------------------------------------------------------------- the server
start_central() {
	"$CENTRAL" init >/dev/null || die "init failed"
	rm -f "$WORK/port"
	"$CENTRAL" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --threads "${THREADS:-4}" \
		"${SERVE_OPTS[@]}" 2>>"$WORK/serve.log" &
	SERVER_PID=$!
	poll_until 10 up_or_gone "$WORK/port" "$SERVER_PID"
	kill -0 "$SERVER_PID" 2>/dev/null || die "dossync-central serve exited"
	[ -s "$WORK/port" ] || die "dossync-central did not write its port"
	URL="http://127.0.0.1:$(cat "$WORK/port")"
	grep -q "dossync-central listening on 127.0.0.1:$(cat "$WORK/port")" "$WORK/serve.log" ||
		die "no 'listening' line"
}

# up_or_gone FILE PID: FILE has been written, or process PID has exited.
up_or_gone() { [ -s "$1" ] || ! kill -0 "$2" 2>/dev/null; }

# SIGTERM; the server must exit 0.
stop_central() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	local rc=$?
	SERVER_PID=""
	same "exit status after SIGTERM" "$rc" 0
}

token_add() { # token_add AGENCY [ROLE]
	"$CENTRAL" token add --office "$1" --role "${2:-office}" || die "token add failed"
}

# ---------------------------------------------------------------- HTTP
# http METHOD PATH TOKEN [BODYFILE [curl options...]]: sets STATUS; the response body is in
# $WORK/resp.z and, inflated with dswire, in $WORK/resp.json.
http() {
	local method=$1 path=$2 token=$3 body=${4:-}
	local args=(-s -o "$WORK/resp.z" -w '%{http_code}' -X "$method")
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' -H 'Content-Encoding: deflate'
			--data-binary "@$body")
		shift 4
		args+=("$@")
	fi
	rm -f "$WORK/resp.z" "$WORK/resp.json"
	STATUS=$(curl "${args[@]}" "$URL$path")
	"$DSWIRE" decode <"$WORK/resp.z" >"$WORK/resp.json" 2>/dev/null || echo '{}' >"$WORK/resp.json"
}

push() { http POST /v1/push "$1" "$2" "${@:3}"; }

expect_status() { same "HTTP status" "$STATUS" "$1"; }
expect_error() { contains "error text" "$(jget error <"$WORK/resp.json" 2>/dev/null)" "$1"; }
resp() { jget "$1" <"$WORK/resp.json"; }

# GET /v1/health answers plain JSON, and deflate to a client that asks for it.
health_ok() {
	local code
	code=$(curl -s -o "$WORK/health.json" -w '%{http_code}' "$URL/v1/health")
	same "health status" "$code" 200
	same "health body" "$(cat "$WORK/health.json")" '{"ok":true,"v":3}'
	curl -s -o "$WORK/health.z" -H 'Accept-Encoding: deflate' "$URL/v1/health"
	same "health body, deflated" "$("$DSWIRE" decode <"$WORK/health.z")" '{"ok":true,"v":3}'
}

# ---------------------------------------------------------------- dossiers and ops
dossier() { # dossier CODE AGENCY [STATUS]
	cat <<JSON
{"code": "$1", "agency": "$2", "procedure": {"code": "1.001193", "name": "Đăng ký khai sinh"},
 "field": "HT", "channel": 1,
 "applicant": {"name": "Phạm Ngọc Giang", "id_number": "068337861984", "phone": "0963060905"},
 "summary": "Đăng ký khai sinh cho con", "received_at": "2024-04-14T07:00:00+07:00",
 "due_at": "2024-04-16T17:00:00+07:00", "status": ${3:-2}}
JSON
}

op() { # op KIND CODE PAYLOAD [BASE [PARENT]]: an op entry without seq and op_id
	local parent=${5:-null}
	[ "$parent" != null ] && parent="\"$parent\""
	printf '{"code":"%s","kind":"%s","payload":%s,"base":%s,"parent":%s,"actor":"lan","occurred_at":"2024-04-14T08:00:00+07:00"}' \
		"$2" "$1" "$3" "${4:-0}" "$parent"
}

# mkpush NODE FIRST PREV OUT OP...: writes the push body to OUT and its final hash to
# OUT.hash (PREV "-" means genesis).
mkpush() {
	local node=$1 first=$2 prev=$3 out=$4
	shift 4
	local prevarg=()
	[ "$prev" != - ] && prevarg=(--prev "$prev")
	(IFS=,; echo "[$*]") | "$DSWIRE" push-body --node "$node" --first "$first" \
		"${prevarg[@]}" --hash-file "$out.hash" >"$out" || die "dswire push-body failed"
}

# The state as `list --json` and `show --json` of every listed dossier show it.
snapshot() {
	local codes c
	"$CENTRAL" list --json
	codes=$("$CENTRAL" list --json | python3 -c 'import json,sys; [print(d["code"]) for d in json.load(sys.stdin)]')
	for c in $codes; do "$CENTRAL" show --json "$c"; done
}

# A central with one AG1 dossier C1 pushed by node xa1 (version 1), a token T1 for AG1;
# SNAP holds the state before the test's bad input.
C1=$AG1-240414-0001
seed() {
	start_central
	T1=$(token_add "$AG1")
	mkpush xa1 1 - "$WORK/seed.z" "$(op create "$C1" "$(dossier "$C1" "$AG1")")"
	push "$T1" "$WORK/seed.z"
	[ "$STATUS" = 200 ] || die "seed push: $STATUS $(cat "$WORK/resp.json")"
	same "seed receipt" "$(resp receipts.0.result)" applied
	SNAP=$(snapshot)
}

unchanged() { same "list/show after the bad input" "$(snapshot)" "$SNAP"; }
