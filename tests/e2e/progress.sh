#!/usr/bin/env bash
# progress.sh: progress of the long commands (import, sync, verify and its history
# catch-up) as a clerk and an app see it. At a terminal (run under script(1), which gives the command a pseudo-terminal)
# one line is redrawn in place with done/total and wiped before the result; with stdout
# piped nothing is shown; --progress=json sends begin/end events (and progress between)
# whose counts match the work done; a bad mode is a usage error (64) that writes nothing.
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
N=3000
ds() { "$DS" -d "$D" --actor lan "$@"; }

# events FILE PHASE: "BEGIN_TOTAL END_DONE EVENTS" of one phase's JSON events in FILE;
# fails when a line of FILE is not a JSON event or the phase's events are out of order.
events() {
	python3 - "$1" "$2" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(e["event"] in ("begin", "progress", "end") for e in evs), "unknown event"
mine = [e for e in evs if e["phase"] == sys.argv[2]]
assert mine and mine[0]["event"] == "begin" and mine[-1]["event"] == "end", "begin..end"
assert all(e["event"] == "progress" for e in mine[1:-1]), "progress between"
done = [e["done"] for e in mine]
assert done == sorted(done), "done only grows"
assert all(e["rate"] >= 0 for e in mine[1:]), "rate"
print(mine[0].get("total", 0), mine[-1]["done"], len(mine))
PY
}

central_fresh "$WORK/central.db" 000.00.12.H22 "$WORK/token"
office_init "$D" 000.00.12.H22 xa1 "$WORK/token"
"$BIN/dsgen" --count $N --per-day 200 --seed 3 >"$WORK/reg.jsonl"

# --- a bad mode: one usage line, exit 64, nothing imported
expect 64 "a bad --progress mode" -- ds import --progress=loud "$WORK/reg.jsonl"
expect_err "--progress is auto, line, json or none, not 'loud'"
expect 64 "--progress without a mode" -- ds import --progress "$WORK/reg.jsonl"
expect_err "--progress needs a mode"
same "nothing imported" "$(ds status --json | jget pending_ops)" 0

# --- at a terminal: the line, then the result on a clean line
script -qec "'$DS' -d '$D' --actor lan import '$WORK/reg.jsonl'" /dev/null >"$WORK/tty.out"
if grep -qaF $'\rimport  0/'$N'  0%' "$WORK/tty.out"; then pass; else
	fail "no progress line at the terminal: $(head -c 300 "$WORK/tty.out" | od -c | head -5)"; fi
if grep -qaF $'\r\e[Kimported '$N' dossiers' "$WORK/tty.out"; then pass; else
	fail "the line is not wiped before the result: $(tail -c 200 "$WORK/tty.out" | od -c | tail -5)"; fi
same "pending after import" "$(ds status --json | jget pending_ops)" $N

# --- stdout not a terminal: nothing but the result
expect 0 "verify piped" -- ds verify
same "verify piped: stderr empty" "$(cat "$WORK/err")" ""
expect_out "journal intact: $N entries"

# --- an app: JSON events on stderr, stdout keeps the result
expect 0 "sync --progress=json" -- ds sync --json --progress=json
same "sync's result is one JSON document" "$(jget pushed <"$WORK/out")" $N
same "push events: total, done" "$(events "$WORK/err" push | cut -d' ' -f1-2)" "$N $N"
same "pull events: done" "$(events "$WORK/err" pull | cut -d' ' -f2)" \
	"$(jget pulled <"$WORK/out")"
BEHIND=$(jget history_behind <"$WORK/out")
[ "$BEHIND" -gt 0 ] && pass || fail "history should be behind after a plain sync: $BEHIND"
expect 0 "verify --progress=json" -- ds verify --progress=json
same "history catch-up events: total, done" \
	"$(events "$WORK/err" history | cut -d' ' -f1-2)" "$BEHIND $BEHIND"
same "verify journal events" "$(events "$WORK/err" "verify journal" | cut -d' ' -f1-2)" "$N $N"
same "verify dossiers events" "$(events "$WORK/err" "verify dossiers" | cut -d' ' -f1-2)" \
	"$N $N"
expect 0 "--progress=none" -- ds verify --progress=none
same "none: stderr empty" "$(cat "$WORK/err")" ""
# a slow verify under a forced line: progress lines between begin and the wipe
expect 0 "--progress=line" -- ds verify --progress=line
if grep -qaF $'\rverify journal  0/'$N'  0%' "$WORK/err"; then pass; else
	fail "--progress=line draws no line: $(head -c 200 "$WORK/err" | od -c | head -3)"; fi

finish
