#!/usr/bin/env bash
# crash.sh: 1,000 changes recorded one command at a time while a killer sends SIGKILL to
# the running dossync at random moments (at least 20 times). Afterwards the journal must
# verify, and every change whose command reported success must be in it.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
export DOSSYNC_LOCK_WAIT=5
echo "seed $SEED"
RANDOM=$SEED

"$DS" -d "$D" init --office 000.00.12.H22 --central http://127.0.0.1:1 --node xa1 >/dev/null
CODE=$("$DS" -d "$D" create "$E2E_DATA/birth.json")
: >"$WORK/ok"
: >"$WORK/kills"

(
	# The clerk: 1,000 changes; a change counts only when its command said so.
	for i in $(seq 1 1000); do
		if [ $((i % 100)) = 0 ]; then
			"$DS" -d "$D" create "$E2E_DATA/residence.json" >/dev/null 2>&1 &&
				echo "create $i" >>"$WORK/ok"
		elif "$DS" -d "$D" update "$CODE" --set "summary=\"thay đổi $i\"" >/dev/null 2>&1; then
			echo "update $i" >>"$WORK/ok"
		fi
	done
	touch "$WORK/done"
) &
CLERK=$!
PIDS+=($CLERK)

# The power cut: SIGKILL whatever dossync process runs on this data directory.
while [ ! -e "$WORK/done" ]; do
	sleep "0.0$((RANDOM % 9 + 1))" # the scenario: a power cut at a random moment
	if pkill -KILL -f -- "dossync -d $D update|dossync -d $D create" 2>/dev/null; then
		echo kill >>"$WORK/kills"
	fi
done
wait $CLERK
KILLS=$(wc -l <"$WORK/kills")
OKS=$(wc -l <"$WORK/ok")
echo "$KILLS kills, $OKS changes reported done"
[ "$KILLS" -ge 20 ] && pass || fail "only $KILLS kills happened (need 20)"

expect 0 "verify after the kills" -- "$DS" -d "$D" verify
"$DS" -d "$D" journal --json >"$WORK/journal.json"
python3 - "$WORK/journal.json" "$WORK/ok" <<'PY' && pass || fail "a change reported done is missing"
import json, sys
j = json.load(open(sys.argv[1]))
summaries = {e["payload"].get("summary") for e in j if e["kind"] == "patch"}
creates = sum(1 for e in j if e["kind"] == "create")
missing = []
ok_creates = 0
for line in open(sys.argv[2]):
    kind, i = line.split()
    if kind == "update" and f"thay đổi {i}" not in summaries:
        missing.append(i)
    ok_creates += kind == "create"
if creates < ok_creates + 1:
    missing.append(f"creates: {creates} in journal, {ok_creates + 1} reported")
if missing:
    print("missing:", missing[:20]); sys.exit(1)
print(f"{len(j)} journal entries; every reported change present")
PY
# The dossier row reflects the last recorded change.
LAST=$(python3 -c 'import json,sys; print([e for e in json.load(open(sys.argv[1])) if e["kind"]=="patch"][-1]["payload"]["summary"])' "$WORK/journal.json")
same "dossier row matches the last journal entry" "$("$DS" -d "$D" show "$CODE" --json | jget summary)" "$LAST"
finish
