# Idle connections cannot lock offices out: 2,000 connections that sent half a request
# header and no token (from 40 addresses 127.0.1.x) are held while 10 offices push, and
# every push answers 200 within 5 s. Central closes the idle ones after its 10 s header
# timeout, refuses more than 64 from one address, and logs such drops at most 20 a minute.
. "$(dirname "$0")/lib.sh"
start_central
PORT=$(cat "$WORK/port")
for i in $(seq 10); do
	TOK[$i]=$(token_add "$AG1")
	code=$AG1-240414-$(printf %04d "$i")
	mkpush "o$i" 1 - "$WORK/p$i.z" "$(op create "$code" "$(dossier "$code" "$AG1")")"
done
"$DSWIRE" hold --port "$PORT" --count 2000 --addrs 40 --seconds 14 >"$WORK/hold.out" &
HOLD=$!
wait_for "dswire holds its connections" 20 log_has "$WORK/hold.out" held
same "idle connections held" "$(head -1 "$WORK/hold.out")" "held 2000"
for i in $(seq 10); do
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 \
		-H "Authorization: Bearer ${TOK[$i]}" -H 'Content-Encoding: deflate' \
		--data-binary "@$WORK/p$i.z" "$URL/v1/push" >"$WORK/r$i" &
	PIDS[$i]=$!
done
for i in $(seq 10); do
	wait "${PIDS[$i]}"
	read -r code secs <"$WORK/r$i"
	same "office $i push" "$code" 200
	python3 -c "import sys; sys.exit(0 if float('$secs') < 5 else 1)" && pass ||
		fail "office $i push took $secs s"
done
same "10 dossiers" "$("$CENTRAL" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 10
wait "$HOLD"
same "central closed the idle ones (header timeout)" "$(tail -1 "$WORK/hold.out")" "closed 2000 of 2000"
# one address: 64 at most
"$DSWIRE" hold --port "$PORT" --count 100 --addrs 1 --seconds 1 >"$WORK/one.out"
same "per-address cap" "$(tail -1 "$WORK/one.out")" "closed 36 of 100"
lines=$(grep -c "http:" "$WORK/serve.log")
[ "$lines" -le 25 ] && pass || fail "$lines http log lines for the dropped connections"
health_ok
finish
