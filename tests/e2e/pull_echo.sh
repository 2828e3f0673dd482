#!/usr/bin/env bash
# pull_echo.sh BIN: an office takes its own changes into its inbox from central's receipts
# (docs/PROTOCOL.md "Receipts carry the echo") and pulls nothing back; its inbox, rows and
# history must come out byte-identical to those of a second office of the agency that
# pulls every state. Then a lost push answer with a local change after it (the pull brings
# the changes without their states, node=, and they are rebuilt), and a rebuilt state that
# does not match central's (the receipts' echo is not taken; the page is asked again with
# every state): the inbox holds central's bytes each time.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
CEN="$BIN/dossync-central"
DB="$WORK/central.db"
A="$WORK/a"
B="$WORK/b"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5

"$CEN" --db "$DB" init >/dev/null
"$CEN" --db "$DB" token add --office $AG >"$WORK/tok-a"
"$CEN" --db "$DB" token add --office $AG >"$WORK/tok-b"
central_start "$DB"
office_init "$A" $AG xa1 "$WORK/tok-a" 1-4000
office_init "$B" $AG xb1 "$WORK/tok-b" 4001-8999

# The inbox, and the rows, as text (every byte of every state).
inbox() { sqlite3 "$1/agent.db" "SELECT cursor, code, version, op_id, node, state FROM inbox ORDER BY cursor"; }
rows() { sqlite3 "$1/agent.db" "SELECT code, status, body, version FROM dossiers ORDER BY code"; }
inbox_state() { sqlite3 "$1/agent.db" "SELECT state FROM inbox WHERE code = '$2' AND version = $3"; }
tree() { git --git-dir "$1/history.git" rev-parse "refs/heads/$2^{tree}"; }
feed_state() { sqlite3 "$DB" "SELECT state FROM feed WHERE code = '$1' AND version = $2"; }
[ -f "$A/agent.db" ] || { fail "no agent.db in $A"; finish; }

# --- (a) 30 creates, and one dossier created, changed and moved in the same round (its
# create is no longer the row's last change: rebuilt by replaying the op).
"$BIN/dsgen" --count 31 --seed 7 --office $AG >"$WORK/a.jsonl"
head -30 "$WORK/a.jsonl" >"$WORK/a30.jsonl"
expect 0 "A imports 30 dossiers" -- "$DS" -d "$A" import "$WORK/a30.jsonl"
office_codes "$A" >"$WORK/codes"
C1=$(sed -n 1p "$WORK/codes")
C2=$(sed -n 2p "$WORK/codes")
"$DS" -d "$A" update "$C1" --set 'applicant.phone="0911000111"' >/dev/null
"$DS" -d "$A" transition "$C1" 4 --note "Chuyển xử lý" >/dev/null
expect 0 "A syncs" -- "$DS" -d "$A" sync --json
cp "$WORK/out" "$WORK/a1.json"
same "A applied" "$(jget applied <"$WORK/a1.json")" 32
same "A took its echo from the receipts" "$(jget echo_taken <"$WORK/a1.json")" 32
same "A pulled none of its own changes back" "$(jget pulled <"$WORK/a1.json")" 0
same "A: push + one empty pull page" "$(jget requests <"$WORK/a1.json")" 2
expect 0 "B syncs (every state: none of the changes is B's)" -- "$DS" -d "$B" sync --json
cp "$WORK/out" "$WORK/b1.json"
same "B pulled" "$(jget pulled <"$WORK/b1.json")" 32
down_a=$(jget bytes_down <"$WORK/a1.json")
down_b=$(jget bytes_down <"$WORK/b1.json")
if [ "$((down_a * 3))" -lt "$down_b" ]; then pass; else
	fail "the echo should carry no states: A got $down_a bytes, B $down_b"; fi
same "inbox of A = inbox of B, byte for byte" "$(inbox "$A" | md5sum)" "$(inbox "$B" | md5sum)"
same "inbox holds central's feed bytes" "$(inbox_state "$A" "$C1" 1)" "$(feed_state "$C1" 1)"
same "rows of A = rows of B" "$(rows "$A" | md5sum)" "$(rows "$B" | md5sum)"
for br in central local; do # commits differ (times, messages); their trees must not
	same "history.git $br tree of A = of B" "$(tree "$A" $br)" "$(tree "$B" $br)"
done
agree "$A" "$DB" "$C1"
agree "$A" "$DB" "$C2"

# --- (b) the issue's case: A's push reaches central, A changes the dossier again before
# its pull. The push answer is cut (dsproxy drop) once central holds the op, so the
# round ends between push and pull; then a local update; then the next sync.
"$BIN/dsproxy" --listen 127.0.0.1:0 --target "127.0.0.1:$CENTRAL_PORT" --control 127.0.0.1:0 \
	--portfile "$WORK/px.ports" 2>"$WORK/px.log" &
PIDS+=($!)
wait_for "dsproxy writes its ports" 5 test -s "$WORK/px.ports" || finish
read -r PX_PORT PX_CTL <"$WORK/px.ports"
px() {
	exec 3<>"/dev/tcp/127.0.0.1/$PX_CTL"; printf '%s\n' "$*" >&3
	read -r -t 5 _ <&3; exec 3>&-
}
sed -i "s#^central = .*#central = http://127.0.0.1:$PX_PORT#" "$A/config"
sed -n 31p "$WORK/a.jsonl" | "$DS" -d "$A" create - >"$WORK/c3"
C3=$(cat "$WORK/c3")
px latency 1500
"$DS" -d "$A" sync >/dev/null 2>&1 &
SYNC=$!
wait_for "central holds C3 (the push is through, its answer not yet)" 10 \
	"$CEN" --db "$DB" show "$C3" --json
px drop
wait $SYNC
same "the cut round ends with 75 (central unreachable)" "$?" 75
px pass
expect 0 "central holds C3 from the cut round" -- "$CEN" --db "$DB" show "$C3" --json
"$DS" -d "$A" update "$C3" --set 'summary="đổi tại xã sau khi gửi"' >/dev/null
local_row=$(sqlite3 "$A/agent.db" "SELECT body FROM dossiers WHERE code = '$C3'")
expect 0 "A syncs again" -- "$DS" -d "$A" sync --json
same "both own changes rebuilt (replay, row): push + one pull" "$(jget requests <"$WORK/out")" 2
same "the lost answer's change and the next came by the pull" "$(jget pulled <"$WORK/out")" 2
same "nothing taken from receipts that missed a change" "$(jget echo_taken <"$WORK/out")" 0
same "C3 v1 in A's inbox is central's, not A's row" "$(inbox_state "$A" "$C3" 1)" "$(feed_state "$C3" 1)"
if [ "$(inbox_state "$A" "$C3" 1)" != "$local_row" ]; then pass; else
	fail "C3 v1 in the inbox is A's later local state"; fi
same "C3 v2 in A's inbox is central's" "$(inbox_state "$A" "$C3" 2)" "$(feed_state "$C3" 2)"
agree "$A" "$DB" "$C3"

# --- (c) a rebuilt state that is not central's: A's row of C2 is made to differ from
# central's state (as a node whose rules differ would compute it) before C2's next
# change comes back. The page must be asked again with every state.
"$DS" -d "$A" update "$C2" --set 'applicant.phone="0922000222"' >/dev/null
sqlite3 "$A/agent.db" "UPDATE dossiers SET body = json_set(body, '\$.summary', 'khác') WHERE code = '$C2'"
expect 0 "A syncs with a mismatching rebuild" -- "$DS" -d "$A" sync --json
same "push + pull + the same page again" "$(jget requests <"$WORK/out")" 3
same "the mismatching echo is not taken from the receipts" "$(jget echo_taken <"$WORK/out")" 0
same "C2 v2 in A's inbox is central's" "$(inbox_state "$A" "$C2" 2)" "$(feed_state "$C2" 2)"
expect 0 "B syncs" -- "$DS" -d "$B" sync --json
same "inbox of A = inbox of B at the end" "$(inbox "$A" | md5sum)" "$(inbox "$B" | md5sum)"
finish
