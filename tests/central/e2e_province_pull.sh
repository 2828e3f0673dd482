# The province's own edits (create/update/transition with the CLI, while the server runs)
# appear in /v1/pull as node "central", to the agency's office and to a province token;
# GET /v1/dossiers answers the current state.
. "$(dirname "$0")/lib.sh"
start_central
T1=$(token_add "$AG1")
T2=$(token_add "$AG2")
TP=$(token_add "$AG1" province)
dossier X "$AG1" | sed 's/"code": "X", //' | "$CENTRAL" create - >"$WORK/code" || die "create"
code=$(cat "$WORK/code")
"$CENTRAL" update "$code" --set summary='"Sửa trích yếu"' >/dev/null || die "update"
"$CENTRAL" transition "$code" 4 >/dev/null || die "transition"
http GET "/v1/pull?since=0" "$T1"
expect_status 200
same "changes" "$(resp changes | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
same "op ids" "$(resp changes | python3 -c 'import json,sys; print(" ".join(c["op_id"] for c in json.load(sys.stdin)))')" \
	"central:1 central:2 central:3"
same "node" "$(resp changes.2.node)" central
same "version" "$(resp changes.2.version)" 3
same "state status" "$(resp changes.2.state.status)" 4
same "state summary" "$(resp changes.1.state.summary)" "Sửa trích yếu"
same "next" "$(resp next)" 3
same "more" "$(resp more)" False
http GET "/v1/pull?since=0" "$T2"
same "another agency sees nothing" "$(resp changes)" "[]"
http GET "/v1/pull?since=0" "$TP"
same "province sees all" "$(resp changes | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
http GET "/v1/dossiers/$code" "$T1"
expect_status 200
same "dossier version" "$(resp version)" 3
same "dossier code" "$(resp code)" "$code"
http GET "/v1/dossiers/$code" "$T2"
expect_status 404
http GET "/v1/pull?since=0&limit=0" "$T1"
expect_status 400
expect_error "limit"
http GET "/v1/pull?since=abc" "$T1"
expect_status 400
http GET "/v1/nothing" "$T1"
expect_status 404
http GET "/v1/push" "$T1"
expect_status 405
health_ok
stop_central
finish
