# Keep-alive: the GET routes (pull, dossier, health) are answered on the handler's last
# call, so the server keeps the connection and a client's requests share one TCP
# connection (docs/PROTOCOL.md "Transport"). curl -v tells whether it re-used it.
. "$(dirname "$0")/lib.sh"
start_central
T1=$(token_add "$AG1")
curl -sv -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	-H "Authorization: Bearer $T1" \
	"$URL/v1/pull?since=0" "$URL/v1/pull?since=0&limit=5" "$URL/v1/health" \
	"$URL/v1/dossiers/$AG1-240414-0001" 2>"$WORK/curl.log" || die "curl failed"
same "connections opened" "$(grep -c '^\* Connected to' "$WORK/curl.log")" 1
same "connections re-used" "$(grep -c 'Re-using existing connection' "$WORK/curl.log")" 3
same "no close" "$(grep -ci '^< Connection: close' "$WORK/curl.log")" 0
same "statuses" "$(grep -o '^< HTTP/1.1 [0-9]*' "$WORK/curl.log" | cut -d' ' -f3 | tr '\n' ' ')" \
	"200 200 200 404 "
finish
