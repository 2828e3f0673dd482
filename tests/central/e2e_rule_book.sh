# The rule book holds for every op kind a hostile office can push (issue 10): a merge or
# resolve cannot jump the status (2 -> 10) nor leave a terminal one, a patch cannot erase
# progress rows nor backdate the finish, and a dossier over its size limits is refused.
. "$(dirname "$0")/lib.sh"
seed
PREV=$(cat "$WORK/seed.z.hash")
SEQ=2
# pushone OP: pushes OP alone as the next op of xa1 (its parent the last applied one).
pushone() {
	mkpush xa1 "$SEQ" "$PREV" "$WORK/b$SEQ.z" "$1"
	push "$T1" "$WORK/b$SEQ.z"
	expect_status 200
	PREV=$(cat "$WORK/b$SEQ.z.hash")
	SEQ=$((SEQ + 1))
}
rejected() { # rejected WHAT NEEDLE OP
	pushone "$3"
	same "$1: receipt" "$(resp receipts.0.result)" rejected
	contains "$1: reason" "$(resp receipts.0.reason)" "$2"
}

rejected "merge 2 -> 10" "illegal status move 2 -> 10" "$(op merge "$C1" '{"status":10}' 1)"
rejected "resolve 2 -> 10" "illegal status move 2 -> 10" "$(op resolve "$C1" '{"status":10}' 1)"
rejected "merge backdating the finish" "finished_at: set only by a move to 9" \
	"$(op merge "$C1" '{"finished_at":"2020-01-01T07:00:00+07:00"}' 1)"
unchanged

pushone "$(op transition "$C1" '{"to":9}' 1)"
same "the move to 9" "$(resp receipts.0.result)" applied
rejected "patch erasing the rows and backdating" "finished_at" \
	"$(op patch "$C1" '{"progress":null,"finished_at":"2020-01-01T07:00:00+07:00"}' 2)"
rejected "merge erasing the rows" "cannot be removed (progress rows are only appended)" \
	"$(op merge "$C1" '{"progress":null}' 2)"
rejected "merge changing the finish" "finished_at: cannot change once set" \
	"$(op merge "$C1" '{"finished_at":"2020-01-01T07:00:00+07:00"}' 2)"
pushone "$(op transition "$C1" '{"to":10}' 2)"
same "the move to 10" "$(resp receipts.0.result)" applied
rejected "merge out of 10" "illegal status move 10 -> 2" "$(op merge "$C1" '{"status":2}' 3)"
rejected "resolve out of 10" "illegal status move 10 -> 4" "$(op resolve "$C1" '{"status":4}' 3)"
same "central keeps 10" "$("$CENTRAL" show --json "$C1" | jget status)" 10
same "and the real finish" "$("$CENTRAL" show --json "$C1" | jget finished_at)" "2024-04-14T08:00:00+07:00"

# Size: the review's 4 MB summary is refused, nothing stored.
C2=$AG1-240414-0002
BIG=$(dossier "$C2" "$AG1" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["summary"]="x" * (4 << 20); print(json.dumps(d, ensure_ascii=False))')
rejected "a 4 MB summary" "summary: at most 2000 characters" "$(op create "$C2" "$BIG")"
"$CENTRAL" show "$C2" >/dev/null 2>&1 && fail "$C2 stored" || pass

health_ok
finish
