#!/usr/bin/env bash
# failover.sh: two central processes on one PostgreSQL database and 20 offices whose
# agents list both (--central URL twice; half list A first, half B). Every office imports
# and edits dossiers and syncs, all at once; central A is SIGKILLed in the middle of the
# pushes. The agents fail over to B and stay there; A is restarted, more work is synced.
# At the end nothing is lost or applied twice: central holds each office's journal exactly,
# one feed row per applied op, nothing is pending, verify passes and the dossiers agree.
# Needs DOSSYNC_TEST_PG (the state folder of tests/central/pg_cluster.sh).
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
DSC="$BIN/dossync-central"
N=20
export DOSSYNC_LOCK_WAIT=30

[ -n "${DOSSYNC_TEST_PG:-}" ] || { echo "FATAL: DOSSYNC_TEST_PG is not set" >&2; exit 1; }
PG_ADMIN="postgresql://postgres@127.0.0.1:$(cat "$DOSSYNC_TEST_PG/port")"
PG_DB=t_$(basename "$WORK" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
psql -q "$PG_ADMIN/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null || { echo "FATAL: createdb" >&2; exit 1; }
DB="$PG_ADMIN/$PG_DB"
trap 'cleanup; psql -q "$PG_ADMIN/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null' EXIT
sql() { psql -qAt "$DB" -c "$1"; }

# serve NAME PORT: a central on PORT (0: a free one); sets PID_<NAME> and PORT_<NAME>
serve() {
	local pf="$WORK/port.$1" i
	rm -f "$pf"
	"$DSC" --db "$DB" serve --listen "127.0.0.1:$2" --port-file "$pf" 2>>"$WORK/central.$1.log" &
	eval "PID_$1=$!"
	PIDS+=($!)
	for i in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || { echo "FATAL: central $1 did not start" >&2; exit 1; }
	eval "PORT_$1=$(cat "$pf")"
}

"$DSC" --db "$DB" init >/dev/null || { echo "FATAL: init" >&2; exit 1; }
serve A 0
serve B 0
URL_A=http://127.0.0.1:$PORT_A
URL_B=http://127.0.0.1:$PORT_B
for i in $(seq 1 $N); do
	ag=$(printf '000.00.%02d.H22' $((i + 9)))
	"$DSC" --db "$DB" token add --office "$ag" >"$WORK/tok$i" || { echo "FATAL: token" >&2; exit 1; }
	if [ $((i % 2)) = 0 ]; then first=$URL_A second=$URL_B; else first=$URL_B second=$URL_A; fi
	"$DS" -d "$WORK/o$i" init --office "$ag" --node "o$i" --central "$first" --central "$second" \
		--token-file "$WORK/tok$i" >/dev/null || { echo "FATAL: init o$i" >&2; exit 1; }
	"$BIN/dsgen" --count 40 --seed "$i" --office "$ag" | "$DS" -d "$WORK/o$i" import - >/dev/null ||
		{ echo "FATAL: import o$i" >&2; exit 1; }
done

# every office syncs at once; A dies while they push
for i in $(seq 1 $N); do "$DS" -d "$WORK/o$i" sync >/dev/null 2>>"$WORK/sync1.err" & SP[$i]=$!; done
# A is killed once it has committed its first push (the even offices try A first)
EVEN="node IN ($(seq -s, -f "'o%g'" 2 2 $N))"
for t in $(seq 1 600); do
	[ "$(sql "SELECT count(*) FROM ops WHERE $EVEN")" -gt 0 ] && break
	sleep 0.05
done
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null
held=$(sql "SELECT count(*) FROM ops")
echo "central A killed with $held of $((N * 40)) ops committed"
[ "$held" -gt 0 ] && [ "$held" -lt $((N * 40)) ] && pass ||
	fail "A was not killed in the middle of the pushes ($held ops held)"
bad=0
for i in $(seq 1 $N); do wait "${SP[$i]}" || bad=$((bad + 1)); done
same "syncs that failed with A dead (each fails over to B)" "$bad" 0

# more work, synced with A still down, then again once A is back on its port
for i in $(seq 1 $N); do
	"$BIN/dsgen" --count 5 --seed $((i + 100)) --office "$(sed -n 's/^office = //p' "$WORK/o$i/config")" |
		"$DS" -d "$WORK/o$i" import - >/dev/null
	"$DS" -d "$WORK/o$i" sync >/dev/null 2>>"$WORK/sync2.err" || fail "o$i: sync with A down"
done
serve A "$PORT_A"
for i in $(seq 1 $N); do
	c=$("$DS" -d "$WORK/o$i" list --json | jget 0.code)
	"$DS" -d "$WORK/o$i" update "$c" --set 'summary="sau sự cố"' >/dev/null
	"$DS" -d "$WORK/o$i" sync >/dev/null 2>>"$WORK/sync3.err" & SP[$i]=$!
done
for i in $(seq 1 $N); do wait "${SP[$i]}" || fail "o$i: sync after A restarted"; done

# nothing lost, nothing twice, everyone converged
total=0
for i in $(seq 1 $N); do
	d=$WORK/o$i
	same "o$i: nothing pending" "$("$DS" -d "$d" status --json | jget pending_ops)" 0
	expect 0 "o$i: verify" -- "$DS" -d "$d" verify
	j=$("$DS" -d "$d" journal --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	total=$((total + j))
	same "o$i: central holds its journal, each op applied" \
		"$(sql "SELECT count(*) FILTER (WHERE result = 'applied'), count(*) FROM ops WHERE node = 'o$i'" | tr '|' ' ')" "$j $j"
	same "o$i: the same dossiers" \
		"$("$DS" -d "$d" list --json | python3 -c 'import json,sys; print(sorted((r["code"], r["status"]) for r in json.load(sys.stdin)))')" \
		"$("$DSC" --db "$DB" list --json --agency "$(sed -n 's/^office = //p' "$d/config")" | python3 -c 'import json,sys; print(sorted((r["code"], r["status"]) for r in json.load(sys.stdin)))')"
	c=$("$DS" -d "$d" list --json | jget 0.code)
	agree "$d" "$DB" "$c"
done
same "ops on central" "$(sql "SELECT count(*) FROM ops")" "$total"
same "one feed row per applied op" "$(sql "SELECT count(*), count(DISTINCT op_id) FROM feed" | tr '|' ' ')" "$total $total"
same "feed cursors without gaps" "$(sql "SELECT max(cursor) - count(*) FROM feed")" 0
grep -h -v '^dossync: ' "$WORK"/sync*.err | head -3 | grep . && fail "sync printed more than error lines" || pass
kill -TERM "$PID_A" "$PID_B"
wait "$PID_A"; same "A exits 0" "$?" 0
wait "$PID_B"; same "B exits 0" "$?" 0
PIDS=()
finish
