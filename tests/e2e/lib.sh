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
