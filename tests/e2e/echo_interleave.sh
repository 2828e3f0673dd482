#!/usr/bin/env bash
# echo_interleave.sh BIN: two PCs of one office push in turn, so each one's own changes
# and the other's interleave in the feed. A PC takes its own changes from its receipts
# (docs/PROTOCOL.md "Receipts carry the echo") only when its pull cursor is right before
# them; otherwise its pull brings them, and never skips the other PC's. Central's own
# edit between two pushes likewise. At the end both PCs' inboxes are central's feed for
# the agency, byte for byte, and every dossier agrees with central.
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
[ -f "$A/agent.db" ] || { fail "no agent.db in $A"; finish; }

inbox() { sqlite3 "$1/agent.db" "SELECT cursor, code, version, op_id, node, state FROM inbox ORDER BY cursor"; }
feed() { sqlite3 "$DB" "SELECT cursor, code, version, op_id, node, state FROM feed WHERE agency = '$AG' ORDER BY cursor"; }
cursor() { sqlite3 "$1/agent.db" "SELECT value FROM sync_state WHERE key = 'cursor'"; }
"$BIN/dsgen" --count 12 --seed 11 --office $AG >"$WORK/d.jsonl"
create() { sed -n "$2p" "$WORK/d.jsonl" | "$DS" -d "$1" create - >>"$1.codes"; }
sync_json() { expect 0 "$1" -- "$DS" -d "$2" sync --json; }

# 1. A alone: its 3 creates come back from the receipts, nothing is pulled.
for i in 1 2 3; do create "$A" $i; done
sync_json "A syncs alone" "$A"
same "A: 3 taken from the receipts" "$(jget echo_taken <"$WORK/out")" 3
same "A: nothing pulled" "$(jget pulled <"$WORK/out")" 0
same "A's cursor is past its changes" "$(cursor "$A")" 3

# 2. B has never pulled: its receipts' cursor_before is A's last change, not B's cursor 0.
# B must not take its own; the pull brings A's 3 and B's 2 (B's without states).
for i in 4 5; do create "$B" $i; done
sync_json "B syncs after A" "$B"
same "B: nothing taken (A's changes lie before)" "$(jget echo_taken <"$WORK/out")" 0
same "B: pulled A's 3 and its own 2" "$(jget pulled <"$WORK/out")" 5

# 3. A pushes again: B's 2 lie between A's cursor and A's new changes; an update of one
# of A's own dossiers and two creates.
C1=$(sed -n 1p "$A.codes")
"$DS" -d "$A" update "$C1" --set 'summary="sửa lần hai"' >/dev/null
for i in 6 7; do create "$A" $i; done
sync_json "A syncs with B's changes in between" "$A"
same "A: nothing taken" "$(jget echo_taken <"$WORK/out")" 0
same "A: pulled B's 2 and its own 3" "$(jget pulled <"$WORK/out")" 5

# 4. A again, right after: now its cursor is the feed's end, so its receipts cover it.
create "$A" 8
"$DS" -d "$A" transition "$C1" 4 --note "Chuyển xử lý" >/dev/null
sync_json "A syncs again" "$A"
same "A: 2 taken" "$(jget echo_taken <"$WORK/out")" 2
same "A: nothing pulled" "$(jget pulled <"$WORK/out")" 0

# 5. Central's own edit of an A dossier lands between A's pulls: A's next receipts name
# it as cursor_before, so A leaves its own to the pull, which brings both.
C2=$(sed -n 2p "$A.codes")
"$CEN" --db "$DB" --actor "So Tu phap" update "$C2" --set 'due_at="2099-12-31T17:00:00+07:00"' >/dev/null
create "$A" 9
sync_json "A syncs after central's edit" "$A"
same "A: nothing taken past central's edit" "$(jget echo_taken <"$WORK/out")" 0
same "A: pulled central's edit and its own create" "$(jget pulled <"$WORK/out")" 2

# 6. Both catch up; the inboxes are central's feed of the agency, byte for byte.
sync_json "B catches up" "$B"
sync_json "A idle" "$A"
same "A idle: nothing pulled" "$(jget pulled <"$WORK/out")" 0
same "inbox of A = central's feed" "$(inbox "$A" | md5sum)" "$(feed | md5sum)"
same "inbox of B = central's feed" "$(inbox "$B" | md5sum)" "$(feed | md5sum)"
for c in $(cat "$A.codes" "$B.codes"); do agree "$A" "$DB" "$c"; agree "$B" "$DB" "$c"; done
expect 0 "A verifies (history agrees with the replay)" -- "$DS" -d "$A" verify
expect 0 "B verifies" -- "$DS" -d "$B" verify
finish
