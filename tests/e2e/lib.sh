# lib.sh: shared helpers for dossync's end-to-end scripts. Source it after setting BIN
# (the folder holding dossync, dossync-central and the test tools).
set -uo pipefail
BIN=$(cd "$BIN" && pwd)

E2E_DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dossync-e2e.XXXXXX")
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }
. "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh" # wait_for, poll_until

# expect CODE DESCRIPTION -- command...: runs it, checks the exit code.
expect() {
	local want=$1 what=$2; shift 3
	"$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ "$got" != "$want" ]; then
		fail "$what: exit $got, want $want; stderr: $(head -c 400 "$WORK/err")"
	else
		pass
	fi
	return 0
}

# The error line of the last expect must mention a text.
expect_err() {
	if grep -qF -- "$1" "$WORK/err"; then pass; else
		fail "stderr should mention '$1', got: $(head -c 400 "$WORK/err")"; fi
	local lines
	lines=$(wc -l <"$WORK/err")
	if [ "$lines" -le 1 ]; then pass; else fail "error should be one line, got $lines"; fi
}

expect_out() {
	if grep -qF -- "$1" "$WORK/out"; then pass; else
		fail "stdout should contain '$1', got: $(head -c 400 "$WORK/out")"; fi
}

same() { # same WHAT GOT WANT
	if [ "$2" == "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi
}

# A JSON field of stdin, with python3 (keys dotted: a.b.0.c).
jget() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split(".") if sys.argv[1] else []:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)' "$1"
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

finish() {
	echo "$CHECKS checks passed, $FAILS failed"
	[ "$FAILS" = 0 ]
	exit $?
}

# ---------------------------------------------------------------- central and offices
# central_start DB [SERVE-OPTION...]: starts dossync-central on a free port; sets
# CENTRAL_PID and CENTRAL_URL (https:// when the options hold --tls-cert).
central_start() {
	local db=$1 pf="$WORK/central.port.$RANDOM" scheme=http
	shift
	[[ " $* " == *" --tls-cert "* ]] && scheme=https
	"$BIN/dossync-central" --db "$db" serve --listen 127.0.0.1:${CENTRAL_PORT:-0} \
		--port-file "$pf" "$@" 2>>"$WORK/central.log" &
	CENTRAL_PID=$!
	PIDS+=($CENTRAL_PID)
	poll_until 10 up_or_gone "$pf" "$CENTRAL_PID"
	[ -s "$pf" ] ||
		{ echo "FATAL: dossync-central did not start: $(tail -2 "$WORK/central.log")" >&2; exit 1; }
	CENTRAL_PORT=$(cat "$pf")
	CENTRAL_URL="$scheme://127.0.0.1:$CENTRAL_PORT"
}

# up_or_gone FILE PID: FILE has been written, or process PID has exited (a condition for
# poll_until while a server starts).
up_or_gone() { [ -s "$1" ] || ! kill -0 "$2" 2>/dev/null; }

# central_fresh DB AGENCY TOKENFILE: a new central database with one office token for
# AGENCY (written to TOKENFILE), served by central_start.
central_fresh() {
	"$BIN/dossync-central" --db "$1" init >/dev/null
	"$BIN/dossync-central" --db "$1" token add --office "$2" >"$3"
	central_start "$1"
}

central_stop() { # central_stop [SIGNAL]
	kill -"${1:-TERM}" "$CENTRAL_PID" 2>/dev/null
	wait "$CENTRAL_PID" 2>/dev/null
	return 0
}

# office_init DIR AGENCY NODE TOKENFILE [code block]
office_init() {
	"$BIN/dossync" -d "$1" init --office "$2" --node "$3" --central "$CENTRAL_URL" \
		--token-file "$4" --code-block "${5:-1-8999}" >/dev/null
}

# agree OFFICEDIR CENTRALDB CODE: the dossier has the same canonical JSON on both sides.
agree() {
	local a c
	a=$("$BIN/dossync" -d "$1" show "$3" --json 2>&1 | canon)
	c=$("$BIN/dossync-central" --db "$2" show "$3" --json 2>&1 | canon)
	if [ -n "$a" ] && [ "$a" == "$c" ]; then pass; else
		fail "dossier $3 differs between $1 and central:"$'\n'"  office:  $a"$'\n'"  central: $c"
	fi
}

# The canonical JSON of a dossier on stdin, without version and sync.
canon() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception as e:
    print("unreadable:", e); sys.exit(0)
for k in ("version", "sync"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")))'
}

# All codes an office holds.
office_codes() {
	"$BIN/dossync" -d "$1" list --json | python3 -c 'import json,sys; print("\n".join(r["code"] for r in json.load(sys.stdin)))'
}
