# A node name cannot be squatted: a batch in which no op applies binds nothing and leaves
# nothing (the rightful office pushes as that node afterwards from seq 1); a node bound at
# token issue (token add --node) is refused to every other token; `node move` hands a node
# to another token of its agency and to no other, or binds a node not known yet.
. "$(dirname "$0")/lib.sh"
start_central
T1=$(token_add "$AG1")
T2=$(token_add "$AG2")
# AG2's token pushes as xa1 first, with ops that are all rejected (AG1's dossiers)
mkpush xa1 1 - "$WORK/squat.z" "$(op create "$C1" "$(dossier "$C1" "$AG1")")" \
	"$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T2" "$WORK/squat.z"
expect_status 403
expect_error "no op of the batch was accepted"
same "nothing stored" "$("$CENTRAL" list --json)" "[]"
# the rightful office: its first batch applies, and xa1 is now its node
mkpush xa1 1 - "$WORK/seed.z" "$(op create "$C1" "$(dossier "$C1" "$AG1")")"
push "$T1" "$WORK/seed.z"
expect_status 200
same "rightful create" "$(resp receipts.0.result)" applied
C2=$AG2-240414-0001
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/t2.z" "$(op create "$C2" "$(dossier "$C2" "$AG2")")"
push "$T2" "$WORK/t2.z"
expect_status 403
expect_error "bound to another token"

# bound at token issue: refused to others even with ops that would apply
T3=$("$CENTRAL" token add --office "$AG1" --node xa9 --node xa8) || die "token add --node"
T3ID=$(echo "$T3" | cut -d. -f2)
mkpush xa9 1 - "$WORK/x9.z" "$(op create "$C2" "$(dossier "$C2" "$AG2")")"
push "$T2" "$WORK/x9.z"
expect_status 403
expect_error "bound to another token"
# its own token may push there even when every op is rejected
mkpush xa9 1 - "$WORK/x9r.z" "$(op patch "$AG1-240414-0555" '{"summary":"x"}' 1)"
push "$T3" "$WORK/x9r.z"
expect_status 200
same "pre-bound node, rejected op" "$(resp receipts.0.result)" rejected
"$CENTRAL" token add --office "$AG1" --node xa8 >/dev/null 2>"$WORK/err" &&
	fail "a bound node was bound again" || pass
contains "already bound" "$(cat "$WORK/err")" "already bound to token $T3ID"
"$CENTRAL" token add --office "$AG1" --node central >/dev/null 2>&1 && fail "central bound" || pass

# node move: xa1 to T3 (same agency); T1 is refused afterwards, T3 continues the chain
"$CENTRAL" node move xa1 --token "$T3ID" >/dev/null || fail "node move"
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/m.z" "$(op patch "$C1" '{"summary":"y"}' 1)"
push "$T1" "$WORK/m.z"
expect_status 403
push "$T3" "$WORK/m.z"
expect_status 200
same "moved node pushes" "$(resp receipts.0.result)" applied
T2ID=$(echo "$T2" | cut -d. -f2)
"$CENTRAL" node move xa1 --token "$T2ID" >/dev/null 2>"$WORK/err"
same "move to another agency's token: exit" "$?" 65
contains "move refused" "$(cat "$WORK/err")" "acts for $AG1"
"$CENTRAL" node move xa1 --token 00000000 >/dev/null 2>&1
same "move to an unknown token: exit" "$?" 65
# a node central does not know yet: bound by the move (an office whose first batch had
# no applied op)
"$CENTRAL" node move fresh --token "$T3ID" >/dev/null || fail "node move fresh"
mkpush fresh 1 - "$WORK/f.z" "$(op patch "$AG1-240414-0555" '{"summary":"x"}' 1)"
push "$T2" "$WORK/f.z"
expect_status 403
push "$T3" "$WORK/f.z"
expect_status 200
health_ok
finish
