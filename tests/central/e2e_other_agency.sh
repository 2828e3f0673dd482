# An office token pushing changes to another agency's dossier: each op is rejected with a
# reason naming both agencies; the dossier is unchanged and invisible to that office.
. "$(dirname "$0")/lib.sh"
seed
C2=$AG2-240414-0001
dossier "$C2" "$AG2" | "$CENTRAL" create - >/dev/null || die "create C2"
SNAP=$(snapshot)
T2=$("$CENTRAL" token add --office "$AG2" --node xa2) || die "token add"
# office AG2 patches AG1's dossier, and creates a dossier for AG1
mkpush xa2 1 - "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)" \
	"$(op create "$AG1-240414-0002" "$(dossier "$AG1-240414-0002" "$AG1")")"
push "$T2" "$WORK/b.z"
expect_status 200
same "receipt 0" "$(resp receipts.0.result)" rejected
contains "reason names the token's agency" "$(resp receipts.0.reason)" "$AG2"
contains "reason names the dossier's agency" "$(resp receipts.0.reason)" "$AG1"
same "receipt 1" "$(resp receipts.1.result)" rejected
contains "create reason" "$(resp receipts.1.reason)" "$AG1"
# not visible either
http GET "/v1/dossiers/$C1" "$T2"
expect_status 404
expect_error "no dossier"
http GET "/v1/dossiers/$C2" "$T2"
expect_status 200
same "own dossier version" "$(resp version)" 1
unchanged
health_ok
finish
