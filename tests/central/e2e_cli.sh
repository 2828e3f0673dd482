# dossync-central's command line: init, token add/list/revoke, create/update/transition/
# show/list, --help, and the exit codes for usage errors (64), invalid data (65) and a
# missing database (1). Invalid input writes nothing.
. "$(dirname "$0")/lib.sh"

# expect CODE WHAT -- command...: runs it, checks the exit code; out/err kept.
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	same "$what: exit code (stderr: $(head -c 300 "$WORK/err"))" "$rc" "$want"
}
err_has() {
	contains "stderr" "$(cat "$WORK/err")" "$1"
	same "stderr lines" "$(wc -l <"$WORK/err")" 1
}

expect 1 "list before init" -- "$CENTRAL" list
err_has "no central database at $DOSSYNC_CENTRAL_DB (run dossync-central init)"
expect 0 "init" -- "$CENTRAL" init
expect 0 "init again" -- "$CENTRAL" init
expect 0 "--db elsewhere" -- "$CENTRAL" --db "$WORK/other.db" init
[ -f "$WORK/other.db" ] && pass || fail "--db should create $WORK/other.db"

# usage
expect 64 "no command" -- "$CENTRAL"
expect 64 "unknown command" -- "$CENTRAL" frobnicate
expect 64 "token without subcommand" -- "$CENTRAL" token
expect 64 "token add without --office" -- "$CENTRAL" token add
expect 64 "transition without status" -- "$CENTRAL" transition X
expect 64 "update with --set and --patch" -- "$CENTRAL" update X --set a=1 --patch -
expect 64 "update with nothing" -- "$CENTRAL" update X
expect 64 "serve with a bad --listen" -- "$CENTRAL" serve --listen nowhere
for c in init serve token create update transition show list; do
	expect 0 "$c --help" -- "$CENTRAL" "$c" --help
	contains "$c --help" "$(cat "$WORK/out")" "dossync-central"
done
expect 0 "--help" -- "$CENTRAL" --help

# tokens
expect 0 "token add" -- "$CENTRAL" token add --office "$AG1"
tok=$(cat "$WORK/out")
[[ "$tok" =~ ^dst1\.[0-9a-f]{8}\.[0-9a-f]{32}$ ]] && pass || fail "token shape: $tok"
id=$(echo "$tok" | cut -d. -f2)
expect 0 "token add province" -- "$CENTRAL" token add --office "$AG1" --role province
expect 65 "token add bad agency" -- "$CENTRAL" token add --office "xã Phúc Hòa"
err_has "agency"
expect 65 "token add bad role" -- "$CENTRAL" token add --office "$AG1" --role king
err_has "role"
expect 0 "token list" -- "$CENTRAL" token list
contains "token list" "$(cat "$WORK/out")" "$id"
if grep -q "${tok##*.}" "$WORK/out" || db_dump | grep -q "${tok##*.}"; then fail "the secret is stored or listed"; else pass; fi
expect 0 "token list --json" -- "$CENTRAL" token list --json
same "token list --json: 2 tokens" "$(jget '' <"$WORK/out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
same "token role" "$(jget 1.role <"$WORK/out")" province
expect 0 "token revoke" -- "$CENTRAL" token revoke "$id"
expect 0 "token list --json" -- "$CENTRAL" token list --json
[ "$(jget 0.revoked_at <"$WORK/out")" != None ] && pass || fail "revoked_at should be set"
expect 65 "token revoke unknown" -- "$CENTRAL" token revoke ffffffff
err_has "no token with id ffffffff"

# create: central allocates in 9000-9999 when the code is absent
dossier X "$AG1" | python3 -c 'import json,sys; d=json.load(sys.stdin); del d["code"]; print(json.dumps(d))' >"$WORK/nocode.json"
expect 0 "create without code" -- "$CENTRAL" create "$WORK/nocode.json"
code=$(cat "$WORK/out")
same "allocated code" "$code" "$AG1-240414-9000"
expect 0 "create from stdin" -- sh -c "\"$CENTRAL\" create - <\"$WORK/nocode.json\""
same "next code" "$(cat "$WORK/out")" "$AG1-240414-9001"
dossier "$AG2-240414-0042" "$AG2" >"$WORK/c2.json"
expect 0 "create with a code" -- "$CENTRAL" create "$WORK/c2.json"
same "given code" "$(cat "$WORK/out")" "$AG2-240414-0042"
SNAP=$(snapshot)
expect 65 "create the same code again" -- "$CENTRAL" create "$WORK/c2.json"
err_has "already exists"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["agency"]; print(json.dumps(d))' "$WORK/nocode.json" >"$WORK/noagency.json"
expect 65 "create without code or agency" -- "$CENTRAL" create "$WORK/noagency.json"
err_has "agency: required"
printf '{"procedure": ' >"$WORK/broken.json"
expect 65 "create from broken JSON" -- "$CENTRAL" create "$WORK/broken.json"
err_has "invalid JSON"
sed 's/"channel": 1/"channel": 5/' "$WORK/nocode.json" >"$WORK/badchannel.json"
expect 65 "create an invalid dossier" -- "$CENTRAL" create "$WORK/badchannel.json"
err_has "channel"
expect 65 "update an invalid value" -- "$CENTRAL" update "$code" --set applicant.phone='"12"'
err_has "applicant.phone"
expect 65 "update with bad JSON" -- "$CENTRAL" update "$code" --set applicant.phone=abc
err_has "invalid JSON"
expect 65 "update the status" -- "$CENTRAL" update "$code" --set status=4
err_has "status"
expect 65 "update an unknown dossier" -- "$CENTRAL" update "$AG1-240414-0404" --set summary='"x"'
err_has "no dossier"
expect 65 "illegal move" -- "$CENTRAL" transition "$code" 10
err_has "illegal status move 2 -> 10"
expect 65 "status not a number" -- "$CENTRAL" transition "$code" four
err_has "status"
same "nothing written by invalid input" "$(snapshot)" "$SNAP"

# good edits
expect 0 "update --set" -- "$CENTRAL" update "$code" --set applicant.phone='"0911111111"' --set summary='"Sửa"'
same "update output" "$(cat "$WORK/out")" "$code version 2"
echo '{"applicant":{"email":"a@example.vn"}}' >"$WORK/patch.json"
expect 0 "update --patch" -- "$CENTRAL" update "$code" --patch "$WORK/patch.json"
expect 0 "transition" -- "$CENTRAL" --actor tu transition "$code" 4 --note "Chuyển xử lý"
same "transition output" "$(cat "$WORK/out")" "$code version 4"
expect 0 "show --json" -- "$CENTRAL" show --json "$code"
same "version" "$(jget version <"$WORK/out")" 4
same "status" "$(jget status <"$WORK/out")" 4
same "phone" "$(jget applicant.phone <"$WORK/out")" 0911111111
same "email" "$(jget applicant.email <"$WORK/out")" a@example.vn
same "progress who" "$(jget progress.0.who <"$WORK/out")" tu
same "progress what" "$(jget progress.0.what <"$WORK/out")" "Chuyển xử lý"
expect 0 "show" -- "$CENTRAL" show "$code"
contains "show" "$(cat "$WORK/out")" "status:    4"
expect 65 "show unknown" -- "$CENTRAL" show "$AG1-240414-0404"
err_has "no dossier"
expect 0 "list --json" -- "$CENTRAL" list --json
same "list size" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$WORK/out")" 3
same "list row" "$(jget 0 <"$WORK/out")" \
	"{\"agency\": \"$AG1\", \"code\": \"$code\", \"due_at\": \"2024-04-16T17:00:00+07:00\", \"status\": 4, \"version\": 4}"
expect 0 "list --agency" -- "$CENTRAL" list --json --agency "$AG2"
same "list --agency" "$(jget 0.code <"$WORK/out")" "$AG2-240414-0042"
expect 0 "list --status" -- "$CENTRAL" list --json --status 4
same "list --status" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$WORK/out")" 1
expect 64 "list --status 11" -- "$CENTRAL" list --status 11
expect 0 "list" -- "$CENTRAL" list
same "list lines" "$(wc -l <"$WORK/out")" 3

# a database from a newer dossync is refused, and init does not touch it
if [ -n "$PG_DB" ]; then sql_rows "UPDATE schema_version SET version = 99" >/dev/null
else sql_rows "PRAGMA user_version = 99" >/dev/null; fi
expect 1 "list on a newer database" -- "$CENTRAL" list
err_has "has schema version 99, newer than this build knows"
expect 65 "init on a newer database" -- "$CENTRAL" init
err_has "(schema version 99, this build knows"
same "the database untouched" "$(sql_rows "SELECT count(*) FROM dossiers")" 3
finish
