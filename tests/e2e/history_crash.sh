#!/usr/bin/env bash
# history_crash.sh: history.git is caught up after the sync round, so the office PC can
# lose power between a round and its catch-up, or in the middle of the catch-up. A round
# of 1,500 dossiers and one merge ends (plain `sync`: history behind, `status` says so);
# then catch-ups (`sync --history`, `log`) are killed with SIGKILL at random moments; a
# clerk's change made meanwhile lands. The next catch-up completes: `verify` is green,
# history holds every dossier and the round's merge note, and nothing is behind.
BIN=$1
SEED=${2:-$RANDOM}
. "$(dirname "$0")/lib.sh"
echo "seed $SEED"
RANDOM=$SEED
DS="$BIN/dossync"
DB="$WORK/central.db"
O="$WORK/office"
AG=000.00.12.H22
export DOSSYNC_LOCK_WAIT=20
ds() { "$DS" -d "$O" --actor "Trần Thị Thu" "$@"; }
cen() { "$BIN/dossync-central" --db "$DB" --actor "Sở Tư pháp" "$@"; }
behind() { ds status --json | jget history_behind; }
G() { git --git-dir="$O/history.git" "$@"; }

central_fresh "$DB" $AG "$WORK/tok"
office_init "$O" $AG xa1 "$WORK/tok"
"$BIN/dsgen" --count 5 --seed 21 --office $AG >"$WORK/a.jsonl"
expect 0 "import 5" -- ds import "$WORK/a.jsonl"
expect 0 "first sync, history caught up" -- ds sync --history
same "nothing behind after sync --history" "$(behind)" 0
C1=$(office_codes "$O" | sed -n 1p)

# --- a round with a merge (both sides change the phone and the due date) and a backlog
ds update "$C1" --set 'applicant.phone="0911000001"' --set 'due_at="2099-02-01T17:00:00+07:00"' >/dev/null
cen update "$C1" --set 'applicant.phone="0911000002"' --set 'due_at="2099-02-02T17:00:00+07:00"' >/dev/null
"$BIN/dsgen" --count 1500 --seed "$SEED" --office $AG --per-day 100 >"$WORK/b.jsonl"
expect 0 "import 1500" -- ds import "$WORK/b.jsonl"
expect 0 "the round ends before its history catch-up" -- ds sync
expect_out "history: "
expect_out " changes behind"
N0=$(behind)
[ "$N0" -gt 3000 ] && pass || fail "status counts the changes history lacks: $N0"
case "$(G log --format=%B local)" in *"$C1 applicant.phone: owner:office"*)
	fail "the merge note is in history before the catch-up" ;; *) pass ;; esac

# --- catch-ups killed at random moments; a clerk's change lands between them
KILLS=0 MID=0
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 0 ]; then ds sync --history >/dev/null 2>&1 & else ds log "$C1" >/dev/null 2>&1 & fi
	P=$!
	C0=$(G rev-list --count --all 2>/dev/null || echo 0)
	sleep "0.$((RANDOM % 7))$((RANDOM % 9 + 1))" # where the kill lands is the scenario
	K=0
	kill -KILL $P 2>/dev/null && K=1 && KILLS=$((KILLS + 1))
	wait $P 2>/dev/null
	# Killed inside the catch-up: it had written some steps and not all.
	[ $K = 1 ] && [ "$(behind)" -gt 0 ] && [ "$(G rev-list --count --all)" -gt "$C0" ] &&
		MID=$((MID + 1))
	[ $i = 3 ] && ds update "$C1" --set 'summary="Sửa giữa hai lần mất điện"' >/dev/null
done
echo "$KILLS kills, $MID inside the catch-up"
[ "$(behind)" -gt 0 ] || echo "(a catch-up finished between the kills)"

# --- the next catch-up finishes the job
expect 0 "verify after the kills" -- ds verify
expect_out "history agrees with the replay of the journal and inbox"
same "nothing behind" "$(behind)" 0
GD=$(G log --format=%B local)
case "$GD" in *"$C1 applicant.phone: owner:office"*) pass ;; *) fail "the merge note survived the kills: $(echo "$GD" | head -5)" ;; esac
case "$GD" in *"$C1 due_at: owner:central"*) pass ;; *) fail "central's decision recorded: $(echo "$GD" | head -5)" ;; esac
same "every dossier in history" "$(G ls-tree -r -d --name-only local | awk -F/ 'NF == 3' | wc -l)" \
	"$(office_codes "$O" | wc -l)"
G fsck --strict >/dev/null 2>&1 && pass || fail "git fsck --strict"
# The clerk's change is the next round's: history takes it after that round.
expect 0 "sync --history" -- ds sync --history
same "the clerk's change in history" \
	"$(G show "local:$AG/$(echo "$C1" | cut -d- -f2)/$C1/summary" | jget "")" "Sửa giữa hai lần mất điện"
expect 0 "verify at the end" -- ds verify
expect_out "history agrees with the replay of the journal and inbox"
finish
