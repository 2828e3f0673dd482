#!/usr/bin/env bash
# tls_server.sh: central serving HTTPS itself (serve --tls-cert --tls-key, libmicrohttpd
# with GnuTLS). A local CA made with openssl signs the server's certificate; an agent
# given that CA with --ca-file syncs over https, one without it refuses the certificate
# (77), plain HTTP to the port gets nothing, and bad TLS options are refused before
# serving with one clear line.
BIN=$1
. "$(dirname "$0")/lib.sh"
C="$BIN/dossync-central"
DS="$BIN/dossync"
AG=000.00.12.H22
if ! command -v openssl >/dev/null; then
	echo "skipped: openssl command not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/CN=dossync test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile srv.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout other.key -out /dev/null -subj "/CN=x" 2>/dev/null
[ -s srv.pem ] && [ -s other.key ] && pass || fail "openssl did not make the certificates"
cd - >/dev/null
W=$WORK
DB="$W/central.db"
"$C" --db "$DB" init >/dev/null
"$C" --db "$DB" token add --office $AG >"$W/tok"

# Refused before serving, one line each.
expect 64 "--tls-cert alone" -- "$C" --db "$DB" serve --listen 127.0.0.1:0 --tls-cert "$W/srv.pem"
expect_err "--tls-cert and --tls-key go together"
expect 64 "a missing key file" -- "$C" --db "$DB" serve --listen 127.0.0.1:0 \
	--tls-cert "$W/srv.pem" --tls-key "$W/none.key"
expect_err "--tls-key $W/none.key"
expect 64 "a key that is not PEM" -- "$C" --db "$DB" serve --listen 127.0.0.1:0 \
	--tls-cert "$W/srv.pem" --tls-key "$W/srv.ext"
expect_err "not a PEM file"
expect 64 "a key that does not fit the certificate" -- "$C" --db "$DB" serve \
	--listen 127.0.0.1:0 --tls-cert "$W/srv.pem" --tls-key "$W/other.key"
expect_err "does not fit the certificate"

central_start "$DB" --tls-cert "$W/srv.pem" --tls-key "$W/srv.key"
same "an https URL" "${CENTRAL_URL%%:*}" https
same "health over TLS" "$(curl -s --cacert "$W/ca.pem" "$CENTRAL_URL/v1/health")" '{"ok":true,"v":3}'
same "plain HTTP gets no answer" \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CENTRAL_PORT/v1/health")" 000

"$DS" -d "$W/a" init --office $AG --node a --central "$CENTRAL_URL" --token-file "$W/tok" \
	--ca-file "$W/ca.pem" >/dev/null
"$DS" -d "$W/a" create "$E2E_DATA/birth.json" >/dev/null
expect 0 "sync over TLS with the CA" -- "$DS" -d "$W/a" sync
expect_out "1 applied"
for code in $(office_codes "$W/a"); do agree "$W/a" "$DB" "$code"; done

"$DS" -d "$W/b" init --office $AG --node b --central "$CENTRAL_URL" --token-file "$W/tok" \
	>/dev/null
"$DS" -d "$W/b" create "$E2E_DATA/residence.json" >/dev/null
expect 77 "without the CA the certificate is refused" -- "$DS" -d "$W/b" sync
expect_err "certificate"
finish
