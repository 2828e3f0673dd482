# A forked or rewritten office journal: 409 "journal chain mismatch", nothing applied.
. "$(dirname "$0")/lib.sh"
seed
# entry 2 chained from another history than the entry 1 central holds
mkpush xa1 2 "$(printf 'a%.0s' $(seq 64))" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/b.z"
expect_status 409
expect_error "journal chain mismatch at seq 2"
same "expected_seq" "$(resp expected_seq)" 2
# entry 1 rewritten with other content, followed by a new entry
mkpush xa1 1 - "$WORK/b2.z" "$(op create "$C1" "$(dossier "$C1" "$AG1" 1)")" \
	"$(op patch "$C1" '{"summary":"x"}' 1)"
push "$T1" "$WORK/b2.z"
expect_status 409
expect_error "journal chain mismatch at seq 1"
contains "error text" "$(resp error)" "rewritten or forked"
unchanged
health_ok
finish
