# A pull page is bounded by bytes as well as by count: 20 dossiers of about 240 KB each (just
# under the 256 KiB limit) come in pages of at most 4 MiB of states even when 100 changes are
# asked for, and paging on brings every one of them, none twice.
. "$(dirname "$0")/lib.sh"
start_central
T1=$(token_add "$AG1")
for i in $(seq 1 20); do
	code=$(printf '%s-240414-%04d' "$AG1" "$i")
	dossier "$code" "$AG1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d["components"] = [{"id": "tp%d" % k, "name": "ạ" * 500} for k in range(160)]
print(json.dumps(d, ensure_ascii=False))' >"$WORK/d.json"
	"$CENTRAL" create "$WORK/d.json" >/dev/null || die "create $code"
done
# page SINCE: one page of at most 100 changes; "count next more bytes" into $WORK/page and
# its codes added to $WORK/codes.
page() {
	http GET "/v1/pull?since=$1&limit=100" "$T1"
	expect_status 200
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
n = sum(len(json.dumps(c["state"], ensure_ascii=False, separators=(",", ":")).encode()) for c in p["changes"])
with open(sys.argv[2], "a") as codes:
    for c in p["changes"]:
        codes.write(c["code"] + "\n")
print(len(p["changes"]), p["next"], p["more"], n)' "$WORK/resp.json" "$WORK/codes" >"$WORK/page"
	read -r n next more bytes <"$WORK/page"
}
page 0
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] && pass || fail "first page: $n changes, want fewer than 20"
same "first page: more" "$more" True
[ "$bytes" -le $((4 << 20)) ] && pass || fail "first page: $bytes bytes of states, over 4 MiB"
pages=1
while [ "$more" = True ] && [ "$pages" -lt 20 ]; do
	page "$next"
	[ "$n" -ge 1 ] && pass || fail "a page with more to come holds no change"
	pages=$((pages + 1))
done
same "every dossier once" "$(sort "$WORK/codes" | uniq | wc -l),$(wc -l <"$WORK/codes")" "20,20"
same "the last cursor" "$next" 20
health_ok
finish
