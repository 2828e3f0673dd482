#!/usr/bin/env bash
# tls.sh: https URLs are always verified. Against a TLS server with a self-signed
# certificate the agent refuses the certificate (exit 77); given that certificate as
# --ca-file it gets past TLS (and then fails on the non-dossync answer, not on TLS).
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
if ! command -v openssl >/dev/null; then
	echo "skipped: openssl command not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
	-days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
PORT=$(free_port)
openssl s_server -quiet -accept "127.0.0.1:$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" \
	-www >/dev/null 2>&1 &
PIDS+=($!)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
wait_for "openssl s_server listens" 5 listening || finish
echo "dst1.00000000.00000000000000000000000000000000" >"$WORK/tok"
"$DS" -d "$WORK/a" init --office 000.00.12.H22 --node a --central "https://127.0.0.1:$PORT" \
	--token-file "$WORK/tok" >/dev/null
"$DS" -d "$WORK/a" create "$E2E_DATA/birth.json" >/dev/null
expect 77 "an unknown certificate is refused" -- "$DS" -d "$WORK/a" sync
expect_err "certificate"
"$DS" -d "$WORK/b" init --office 000.00.12.H22 --node b --central "https://127.0.0.1:$PORT" \
	--token-file "$WORK/tok" --ca-file "$WORK/cert.pem" >/dev/null
"$DS" -d "$WORK/b" create "$E2E_DATA/birth.json" >/dev/null
"$DS" -d "$WORK/b" sync >"$WORK/out" 2>"$WORK/err"
RC=$?
if [ "$RC" != 0 ] && ! grep -qi certificate "$WORK/err"; then pass; else
	fail "with --ca-file TLS should pass (exit $RC: $(cat "$WORK/err"))"; fi
same "the change is still pending" "$("$DS" -d "$WORK/b" status --json | jget pending_ops)" "1"
finish
