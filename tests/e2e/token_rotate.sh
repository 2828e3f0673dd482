#!/usr/bin/env bash
# token_rotate.sh: replacing an office's token without downtime (docs/CENTRAL.md
# "Tokens"), all on a running server: `token rotate` prints a new token for the same
# office and nodes; the old one keeps working beside it until `token revoke`, then only
# the new one does; `node move` hands a node to another token, after which the previous
# one is refused as that node. The office's journal goes on where it was throughout.
BIN=$1
. "$(dirname "$0")/lib.sh"
C="$BIN/dossync-central"
DS="$BIN/dossync"
AG=000.00.12.H22
DB="$WORK/central.db"
"$C" --db "$DB" init >/dev/null
"$C" --db "$DB" token add --office $AG --node a >"$WORK/old"
OLD=$(cut -d. -f2 "$WORK/old")
central_start "$DB"
cp "$WORK/old" "$WORK/tok"
office_init "$WORK/a" $AG a "$WORK/tok"
"$DS" -d "$WORK/a" create "$E2E_DATA/birth.json" >/dev/null
expect 0 "sync with the old token" -- "$DS" -d "$WORK/a" sync
FIRST=$(office_codes "$WORK/a")

# pull_as TOKENFILE: the status of a pull as node a with that token.
pull_as() {
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$1")" \
		"$CENTRAL_URL/v1/pull?since=0&node=a"
}
expect 0 "token rotate" -- "$C" --db "$DB" token rotate "$OLD"
cp "$WORK/out" "$WORK/new"
NEW=$(cut -d. -f2 "$WORK/new")
[[ "$(cat "$WORK/new")" == dst1.*.* ]] && [ "$NEW" != "$OLD" ] && pass || fail "rotate printed $(cat "$WORK/new")"
same "the node moved to the new token" "$("$C" --db "$DB" nodes --json | jget 0.token)" "$NEW"
same "same agency" "$("$C" --db "$DB" token list --json | jget 1.agency)" $AG
same "old token still pulls as a" "$(pull_as "$WORK/old")" 200
same "new token pulls as a" "$(pull_as "$WORK/new")" 200
"$DS" -d "$WORK/a" create "$E2E_DATA/residence.json" >/dev/null
expect 0 "the old token still pushes as a" -- "$DS" -d "$WORK/a" sync
expect_out "1 applied"
cp "$WORK/new" "$WORK/tok" # the office takes the new token, at its own pace
"$DS" -d "$WORK/a" update "$FIRST" \
	--set 'applicant.phone="0912345678"' >/dev/null
expect 0 "the new token pushes as a, the chain goes on" -- "$DS" -d "$WORK/a" sync
expect_out "1 applied"

expect 0 "revoke the old token" -- "$C" --db "$DB" token revoke "$OLD"
same "old token refused at once" "$(pull_as "$WORK/old")" 401
same "new token goes on" "$(pull_as "$WORK/new")" 200
expect 65 "rotate a revoked token" -- "$C" --db "$DB" token rotate "$OLD"
expect_err "is revoked"
expect 65 "rotate an unknown token" -- "$C" --db "$DB" token rotate 00000000
expect_err "no token with id 00000000"
expect 64 "rotate without an id" -- "$C" --db "$DB" token rotate

# node move: another token of the office takes a; the new token's line loses it.
"$C" --db "$DB" token add --office $AG >"$WORK/other"
OTHER=$(cut -d. -f2 "$WORK/other")
expect 0 "node move" -- "$C" --db "$DB" node move a --token "$OTHER"
"$DS" -d "$WORK/a" update "$FIRST" --set 'applicant.phone="0912345679"' >/dev/null
expect 77 "the new token no longer pushes as a" -- "$DS" -d "$WORK/a" sync
cp "$WORK/other" "$WORK/tok"
expect 0 "the office goes on with the other token" -- "$DS" -d "$WORK/a" sync
expect_out "1 applied"
for code in $(office_codes "$WORK/a"); do agree "$WORK/a" "$DB" "$code"; done
finish
