#!/usr/bin/env bash
# restore_trap.sh: a PC set up again (init) under a node name central already knows. The
# first sync finds the new journal behind the node's chain at central and refuses (65),
# naming the restore procedure; from then on no change is recorded there (77, nothing
# written), so the office never hands out a receipt central would refuse for good. Set
# up as docs/OPERATIONS.md says (a new node name), the same PC works and gets every
# dossier back.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
DB="$WORK/central.db"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=5
jlen() { "$DS" -d "$1" journal --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

central_fresh "$DB" $AG "$WORK/tok"
office_init "$WORK/old" $AG xa1 "$WORK/tok"
"$DS" -d "$WORK/old" create "$E2E_DATA/birth.json" >/dev/null
expect 0 "the old PC syncs" -- "$DS" -d "$WORK/old" sync

# --- the disk is lost; the PC is set up again under the same node name
office_init "$WORK/new" $AG xa1 "$WORK/tok"
expect 65 "the first sync finds the trap" -- "$DS" -d "$WORK/new" sync
expect_err "this office's journal is behind central: central holds entries 1-1 of node xa1"
expect_err "Restore from central after a lost disk"
expect 77 "a change is refused" -- "$DS" -d "$WORK/new" create "$E2E_DATA/residence.json"
expect_err "no change is recorded until this is put right"
same "nothing written" "$(jlen "$WORK/new")" 0
expect 77 "an import too" -- bash -c "\"$BIN/dsgen\" --count 2 --seed 3 --office $AG | \"$DS\" -d \"$WORK/new\" import -"
same "still nothing written" "$(jlen "$WORK/new")" 0
expect 0 "status" -- "$DS" -d "$WORK/new" status
expect_out "!!! JOURNAL BEHIND CENTRAL"

# --- done as the procedure says: a new node name and another code block
rm -rf "$WORK/new"
office_init "$WORK/new" $AG xa1b "$WORK/tok" 5000-8999
expect 0 "the PC set up under a new node syncs" -- "$DS" -d "$WORK/new" sync
expect 0 "and records changes" -- "$DS" -d "$WORK/new" create "$E2E_DATA/residence.json"
expect 0 "which central takes" -- "$DS" -d "$WORK/new" sync
same "both dossiers on the new PC" "$("$DS" -d "$WORK/new" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
expect 0 "verify" -- "$DS" -d "$WORK/new" verify
finish
