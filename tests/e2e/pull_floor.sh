#!/usr/bin/env bash
# pull_floor.sh: a link that dies on every answer over a few KB (dsproxy "reset down") and a
# feed of dossiers that compress badly. The daemon shrinks its pull pages down to a single
# change and catches up; with the old floor of 20 changes a page it stayed stuck at its
# cursor for good (issue 10).
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
CDB=$WORK/central.db
D=$WORK/office
LOG=$WORK/daemon.log
N=24

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
# N dossiers from the province, each with about 3 KB of random text (no two alike).
python3 -c '
import json, random, sys
rng = random.Random(7)
letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọ"
text = lambda n: "".join(rng.choice(letters) for _ in range(n))
for i in range(1, int(sys.argv[1]) + 1):
    d = json.load(open(sys.argv[2]))
    d["code"] = "000.00.12.H22-240414-%04d" % i
    d["summary"] = text(1900)
    d["applicant"]["address"] = text(480)
    json.dump(d, open("%s/d%d.json" % (sys.argv[3], i), "w"), ensure_ascii=False)' \
	"$N" "$E2E_DATA/birth.json" "$WORK"
for i in $(seq 1 "$N"); do
	"$DSC" --db "$CDB" --actor tinh create "$WORK/d$i.json" >/dev/null || fail "create $i"
done
fl_central_start "$CDB"
fl_proxy_start
fl_office "$D" xa1 "$FL_PROXY_URL" "$WORK/token" "$FL_AGENCY" \
	"backoff_base_ms = 50" "backoff_cap_ms = 400" "pull_interval = 1"
# One change is about 3 KB on the wire; a page of 15 (the old floor, halved) about 45 KB.
fl_ctl reset down 8000 >/dev/null
fl_daemon_start "$D" "$LOG"
DPID=$FL_DAEMON_PID
have() { "$DS" -d "$D" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
wait_for "every dossier pulled through the bad link" 90 output_is "$N" have
fl_daemon_stop "$DPID"
same "daemon exit" "$?" 0
finish
