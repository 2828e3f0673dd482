#!/usr/bin/env bash
# status_page.sh: the status page of `dossync daemon --http` (GET /, docs/LOCAL-API.md) in a
# real browser: headless Chromium loads the page of a known state (three dossiers and
# their changes pending, one overdue, one finished late with a scan waiting to go up, a
# failed sync whose error holds markup) and the rendered DOM must show
# those numbers, the Vietnamese labels and the error as text, not markup; the clock row
# appears once a skew is recorded. A screenshot is
# kept under the build tree (its path is printed).
BIN=$1
. "$(dirname "$0")/lib.sh"
DS="$BIN/dossync"
D="$WORK/office"
ART="$(cd "$BIN/.." && pwd)/test-artifacts"
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
	{ echo "FATAL: chromium is missing (scripts/deps installs it)" >&2; exit 1; }
ds() { "$DS" -d "$D" --actor lan "$@"; }

echo token >"$WORK/token"
CENTRAL_URL='http://127.0.0.1:1/<b>x</b>' # nothing listens; the error names this URL
office_init "$D" 000.00.12.H22 xa1 "$WORK/token"
expect 0 "an overdue dossier" -- ds create "$E2E_DATA/birth.json"
sed 's/"due_at": "2024-04-16T17:00:00+07:00"/"due_at": "2099-04-16T17:00:00+07:00"/' \
	"$E2E_DATA/birth.json" >"$WORK/later.json"
expect 0 "a dossier due in 2099" -- ds create "$WORK/later.json"
LATE=$(ds create "$E2E_DATA/birth.json" 2>/dev/null)
expect 0 "a move" -- ds transition "$LATE" 4
expect 0 "finished two years late" -- ds transition "$LATE" 9
head -c 2500000 /dev/urandom >"$WORK/scan.pdf"
expect 0 "a scan to send" -- ds attach "$LATE" "$WORK/scan.pdf"
expect 75 "a sync that cannot reach central" -- ds sync

"$DS" -d "$D" daemon --http 127.0.0.1:0 --port-file "$WORK/api.port" 2>"$WORK/daemon.log" &
DPID=$!
PIDS+=($DPID)
poll_until 10 up_or_gone "$WORK/api.port" "$DPID"
[ -s "$WORK/api.port" ] || { echo "FATAL: no API: $(tail -3 "$WORK/daemon.log")" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$WORK/api.port")/"

browse() { # browse ARGS...: headless Chromium with a profile of its own
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$WORK/chromium" "$@" 2>>"$WORK/chromium.log"
}
browse --dump-dom "$URL" >"$WORK/dom.html"
[ -s "$WORK/dom.html" ] && pass || fail "chromium dumped no DOM: $(tail -3 "$WORK/chromium.log")"

# cell ID: the text of the element with that id in the rendered DOM.
cell() {
	python3 - "$1" "$WORK/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
want, path = sys.argv[1], sys.argv[2]
class P(HTMLParser):
    depth, text = 0, ""
    def handle_starttag(self, tag, attrs):
        if self.depth: self.depth += 1
        elif dict(attrs).get("id") == want: self.depth = 1
    def handle_endtag(self, tag):
        if self.depth: self.depth -= 1
    def handle_data(self, d):
        if self.depth: self.text += d
p = P(); p.feed(open(path, encoding="utf-8").read()); print(p.text.strip())
PY
}
same "in sync" "$(cell in_sync)" "Chưa đồng bộ"
same "pending" "$(cell pending)" "6"
same "overdue" "$(cell overdue)" "1"
same "late" "$(cell late)" "1"
[[ "$(cell attachments)" =~ ^1\ tệp,\ 2,5\ MB,\ cũ\ nhất\ [0-9]+\ (giây|phút)$ ]] && pass ||
	fail "attachment backlog in plain words: '$(cell attachments)'"
same "conflicts" "$(cell conflicts)" "0"
same "dossiers" "$(cell dossiers)" "3"
same "office" "$(cell office)" "000.00.12.H22"
same "never synced" "$(cell last_success)" "chưa bao giờ"
[[ "$(cell oldest_pending)" =~ ^[0-9]+\ (giây|phút)$ ]] && pass ||
	fail "oldest pending in plain words: '$(cell oldest_pending)'"
[[ "$(cell last_error)" == *"http://127.0.0.1:1/<b>x</b>"* ]] && pass ||
	fail "last error as text: '$(cell last_error)'"
grep -q '<b>x</b>' "$WORK/dom.html" && fail "the error's markup was rendered as markup" || pass
grep -q 'Thay đổi chờ gửi' "$WORK/dom.html" && pass || fail "Vietnamese labels missing"
grep -q 'http-equiv="refresh"' "$WORK/dom.html" && pass || fail "no meta refresh"
grep -qE '(src|href)=' "$WORK/dom.html" && fail "the page loads external assets" || pass

# The clock row: absent while no sync has measured the skew, then what `status` says.
same "no clock row before a measure" "$(cell clock_skew)" ""
sqlite3 "$D/agent.db" "INSERT OR REPLACE INTO sync_state VALUES ('clock_skew_s', '-300')"
same "status: clock behind" "$(ds status --json | jget clock_ok)" "False"
browse --dump-dom "$URL" >"$WORK/dom.html"
same "clock row" "$(cell clock_skew)" "chậm 5 phút (SAI: hãy chỉnh lại đồng hồ máy này)"

mkdir -p "$ART"
rm -f "$ART/status_page.png"
(cd "$WORK" && browse --screenshot="$ART/status_page.png" --window-size=1000,700 "$URL" >/dev/null)
[ -s "$ART/status_page.png" ] && pass || fail "no screenshot: $(tail -3 "$WORK/chromium.log")"
echo "screenshot: $ART/status_page.png"

finish
