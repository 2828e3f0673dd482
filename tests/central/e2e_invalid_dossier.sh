# A create whose dossier breaks the schema, and a patch that would make one invalid:
# rejected with the field named; no dossier appears, none changes.
. "$(dirname "$0")/lib.sh"
seed
C9=$AG1-240414-0009
bad=$(dossier "$C9" "$AG1" | sed 's/"0963060905"/"12"/')
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op create "$C9" "$bad")" \
	"$(op patch "$C1" '{"channel":7}' 1)"
push "$T1" "$WORK/b.z"
expect_status 200
same "create receipt" "$(resp receipts.0.result)" rejected
contains "create reason" "$(resp receipts.0.reason)" "applicant.phone"
same "patch receipt" "$(resp receipts.1.result)" rejected
contains "patch reason" "$(resp receipts.1.reason)" "channel"
"$CENTRAL" show "$C9" >/dev/null 2>&1
same "show of the refused dossier" "$?" 65
unchanged
health_ok
finish
