# What an office learns from a refusal: a create or patch on another agency's code is
# refused with the same reason and no version whether the dossier exists or not (GET
# answers 404 either way), and a create numbered in central's reserved block 9000-9999 is
# refused, so central can still number its own dossiers that day. Also the small HTTP
# edges: the Bearer scheme in any case, since= digits only.
. "$(dirname "$0")/lib.sh"
seed
T2=$("$CENTRAL" token add --office "$AG2" --node xa2) || die "token add"
ABSENT=$AG1-240414-0002
# office AG2: a patch on C1 (exists) and on ABSENT; a create on C1 and on ABSENT
mkpush xa2 1 - "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)" \
	"$(op patch "$ABSENT" '{"summary":"x"}' 1)" \
	"$(op create "$C1" "$(dossier "$C1" "$AG1")")" \
	"$(op create "$ABSENT" "$(dossier "$ABSENT" "$AG1")")"
push "$T2" "$WORK/b.z"
expect_status 200
for i in 0 1 2 3; do
	same "receipt $i" "$(resp receipts.$i.result)" rejected
	same "receipt $i carries no version" "$(jget receipts.$i <"$WORK/resp.json" | grep -c version)" 0
done
same "patch reasons alike" "$(resp receipts.0.reason | sed "s/$C1/CODE/")" \
	"$(resp receipts.1.reason | sed "s/$ABSENT/CODE/")"
same "create reasons alike" "$(resp receipts.2.reason | sed "s/$C1/CODE/")" \
	"$(resp receipts.3.reason | sed "s/$ABSENT/CODE/")"
contains "reason names both agencies" "$(resp receipts.2.reason)" "agency $AG2 may not change dossier $C1 of agency $AG1"
# the replay answers the same
push "$T2" "$WORK/b.z"
same "replay: no version" "$(jget receipts.0 <"$WORK/resp.json" | grep -c version)" 0
same "replay: same reason" "$(resp receipts.2.result)" rejected
http GET "/v1/dossiers/$C1" "$T2"
expect_status 404
http GET "/v1/dossiers/$ABSENT" "$T2"
expect_status 404

# central's reserved block: AG1's office creates 9000; refused, and central then numbers
# its own dossier of that day 9000.
R=$AG1-240414-9000
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/r.z" "$(op create "$R" "$(dossier "$R" "$AG1")")"
push "$T1" "$WORK/r.z"
expect_status 200
same "reserved create" "$(resp receipts.0.result)" rejected
contains "reserved reason" "$(resp receipts.0.reason)" "9000-9999 are central's own block"
dossier x "$AG1" | python3 -c 'import json,sys; d=json.load(sys.stdin); del d["code"]; print(json.dumps(d))' \
	>"$WORK/nocode.json"
same "central numbers its own" "$("$CENTRAL" create "$WORK/nocode.json" 2>&1)" "$R"

# Authorization: the scheme in any case
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: bearer $T1" "$URL/v1/pull")
same "lower-case bearer" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: BEARER $T1" "$URL/v1/pull")
same "upper-case bearer" "$code" 200
# since and limit: digits only
for arg in 'since=%2B5' 'since=%205' 'since=-0' 'since=5%20' 'limit=%2B5' 'since=0x5'; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T1" "$URL/v1/pull?$arg")
	same "pull?$arg" "$code" 400
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T1" "$URL/v1/pull?since=05")
same "pull?since=05" "$code" 200
health_ok
finish
