#!/usr/bin/env bash
# nginx_proxy.sh: the reverse-proxy example of docs/CENTRAL.md ("TLS") works as written.
# The indented nginx block after its marker comment is taken from the document, given a
# local port, a certificate signed by a local CA and central's port, and run by a private
# nginx (no root, a temp prefix); an agent with that CA syncs through it over https, and
# /metrics is not reachable through it.
BIN=$1
. "$(dirname "$0")/lib.sh"
DOC="$(dirname "$0")/../../docs/CENTRAL.md"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ] || ! command -v openssl >/dev/null; then
	echo "skipped: nginx or openssl not installed (scripts/deps installs them)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
AG=000.00.12.H22
W=$WORK
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 2 \
	-subj "/CN=dossync test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$W/central.key" -out "$W/central.csr" \
	-subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$W/san.ext"
openssl x509 -req -in "$W/central.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
	-days 2 -extfile "$W/san.ext" -out "$W/central.pem" 2>/dev/null

central_fresh "$W/central.db" $AG "$W/tok"
PORT=$(free_port)
# The block: the indented lines after the marker, up to the first line that is neither
# blank nor indented.
awk '/^<!-- the nginx example/ {on = 1; next}
	on && /^[^ ]/ {exit}
	on {sub(/^    /, ""); print}' "$DOC" >"$W/site.conf"
grep -q "proxy_pass http://127.0.0.1:7070;" "$W/site.conf" && pass || fail "no nginx block found in docs/CENTRAL.md"
sed -i -e "s|listen 443 ssl;|listen 127.0.0.1:$PORT ssl;|" \
	-e "s|/etc/dossync-central/|$W/|g" \
	-e "s|127.0.0.1:7070|127.0.0.1:$CENTRAL_PORT|" "$W/site.conf"
mkdir -p "$W/nginx/logs"
cat >"$W/nginx.conf" <<CONF
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events {}
http {
	access_log $W/nginx/access.log;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	include $W/site.conf;
}
CONF
expect 0 "nginx accepts the configuration" -- "$NGINX" -t -p "$W/nginx" -c "$W/nginx.conf"
"$NGINX" -p "$W/nginx" -c "$W/nginx.conf" 2>>"$W/nginx/error.log" &
PIDS+=($!)
for i in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
URL="https://127.0.0.1:$PORT"

same "health through nginx" "$(curl -s --cacert "$W/ca.pem" "$URL/v1/health")" '{"ok":true,"v":3}'
same "no /metrics through nginx" \
	"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$W/ca.pem" "$URL/metrics")" 404
"$BIN/dossync" -d "$W/a" init --office $AG --node a --central "$URL" --token-file "$W/tok" \
	--ca-file "$W/ca.pem" >/dev/null
"$BIN/dossync" -d "$W/a" create "$E2E_DATA/birth.json" >/dev/null
"$BIN/dossync" -d "$W/a" create "$E2E_DATA/residence.json" >/dev/null
expect 0 "sync through nginx" -- "$BIN/dossync" -d "$W/a" sync
expect_out "2 applied"
for code in $(office_codes "$W/a"); do agree "$W/a" "$W/central.db" "$code"; done
grep -q "POST /v1/push HTTP/1.1\" 200" "$W/nginx/access.log" && pass || fail "nginx did not carry the push"
finish
