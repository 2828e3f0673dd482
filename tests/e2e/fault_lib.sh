# fault_lib.sh: what the daemon, fault-injection and outage scripts share (source it after
# lib.sh): central on a port that survives restarts, dsproxy in front of it, office data
# directories with a backlog, waiting for the backlog to drain, and the closing checks every
# fault test ends with (fl_converged): central holds exactly the office's ops, each once;
# nothing pending; `verify` passes; the dossiers agree field by field.
DS="$BIN/dossync"
DSC="$BIN/dossync-central"
FL_AGENCY=000.00.12.H22
FL_PORT=0
FL_CENTRAL_PID=""
FL_PROXY_PID=""
export DOSSYNC_LOCK_WAIT=${DOSSYNC_LOCK_WAIT:-20}

now_ms() { date +%s%3N; }

# fl_central_init DB: a fresh central database.
fl_central_init() { "$DSC" --db "$1" init >/dev/null || { echo "FATAL: central init" >&2; exit 1; }; }

# fl_token DB AGENCY FILE: a new office token for AGENCY, written to FILE.
fl_token() { "$DSC" --db "$1" token add --office "$2" >"$3" || { echo "FATAL: token add" >&2; exit 1; }; }

# fl_central_start DB: starts central; the first start picks a free port (FL_PORT), later
# starts reuse it, so agents and the proxy find central again after a restart.
fl_central_start() {
	local pf="$WORK/central.port"
	rm -f "$pf"
	"$DSC" --db "$1" serve --listen "127.0.0.1:$FL_PORT" --port-file "$pf" \
		2>>"$WORK/central.log" &
	FL_CENTRAL_PID=$!
	PIDS+=("$FL_CENTRAL_PID")
	poll_until 10 up_or_gone "$pf" "$FL_CENTRAL_PID" # lib.sh
	[ -s "$pf" ] || { echo "FATAL: central did not start" >&2; tail -5 "$WORK/central.log" >&2; exit 1; }
	FL_PORT=$(cat "$pf")
	FL_URL="http://127.0.0.1:$FL_PORT"
}

# fl_central_stop [SIGNAL]: stops central (TERM by default; KILL for a crash).
fl_central_stop() {
	[ -n "$FL_CENTRAL_PID" ] || return 0
	kill -"${1:-TERM}" "$FL_CENTRAL_PID" 2>/dev/null
	wait "$FL_CENTRAL_PID" 2>/dev/null
	FL_CENTRAL_PID=""
	return 0
}

# fl_proxy_start: dsproxy in front of central (FL_PORT); sets FL_PROXY_URL, FL_CTL_PORT.
fl_proxy_start() {
	local pf="$WORK/proxy.ports"
	rm -f "$pf"
	"$BIN/dsproxy" --listen 127.0.0.1:0 --target "127.0.0.1:$FL_PORT" --control 127.0.0.1:0 \
		--portfile "$pf" 2>>"$WORK/proxy.log" &
	FL_PROXY_PID=$!
	PIDS+=("$FL_PROXY_PID")
	poll_until 5 up_or_gone "$pf" "$FL_PROXY_PID"
	[ -s "$pf" ] || { echo "FATAL: dsproxy did not start" >&2; exit 1; }
	read -r FL_PROXY_PORT FL_CTL_PORT <"$pf"
	FL_PROXY_URL="http://127.0.0.1:$FL_PROXY_PORT"
}

# fl_ctl COMMAND...: one control command to dsproxy; prints its reply line.
fl_ctl() {
	local fd reply=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$FL_CTL_PORT" || { echo "error: no control port"; return 1; }
	printf '%s\n' "$*" >&"$fd"
	read -r -t 5 reply <&"$fd"
	exec {fd}>&-
	echo "$reply"
	[ "${reply:0:5}" != "error" ]
}

# fl_stat FIELD: a counter of dsproxy's stats (connections, bytes_up, bytes_down, active).
fl_stat() { fl_ctl stats | jget "$1"; }

# fl_office DIR NODE URL TOKENFILE [AGENCY] [more config lines...]: a new office.
fl_office() {
	local dir=$1 node=$2 url=$3 tok=$4 agency=${5:-$FL_AGENCY}
	shift 5 2>/dev/null || shift $#
	"$DS" -d "$dir" init --office "$agency" --node "$node" --central "$url" \
		--token-file "$tok" >/dev/null || { echo "FATAL: init $dir" >&2; exit 1; }
	local line
	for line in "$@"; do echo "$line" >>"$dir/config"; done
}

# fl_set_central DIR URL: points an office at another central URL.
fl_set_central() { sed -i "s|^central = .*|central = $2|" "$1/config"; }

# fl_import DIR COUNT SEED [DATE]: COUNT new dossiers in one command (dsgen | import).
fl_import() {
	"$BIN/dsgen" --count "$2" --seed "$3" --date "${4:-2025-11-28}" | "$DS" -d "$1" import - \
		>/dev/null || { echo "FATAL: import into $1" >&2; exit 1; }
}

# fl_updates DIR COUNT TAG: COUNT patches and moves spread over the office's dossiers, one
# command each, as clerks make them (2 -> 4 moves, phone numbers, summaries).
fl_updates() {
	local dir=$1 n=$2 tag=$3 codes i c
	mapfile -t codes < <("$DS" -d "$dir" list --json | python3 -c '
import json, sys
for r in json.load(sys.stdin): print(r["code"])')
	for i in $(seq 1 "$n"); do
		c=${codes[$(((i * 7919) % ${#codes[@]}))]}
		case $((i % 4)) in
		0) "$DS" -d "$dir" transition "$c" 4 --note "chuyển xử lý $tag" >/dev/null 2>&1 ||
			"$DS" -d "$dir" update "$c" --set "summary=\"$tag $i\"" >/dev/null ;;
		1) "$DS" -d "$dir" update "$c" --set "applicant.phone=\"09$(printf '%04d%04d' $((RANDOM % 10000)) $((i % 10000)))\"" >/dev/null ;;
		*) "$DS" -d "$dir" update "$c" --set "summary=\"$tag $i\"" >/dev/null ;;
		esac || echo "update $i failed on $c" >&2
	done
}

# fl_pending DIR: pending ops of an office.
fl_pending() { "$DS" -d "$1" status --json | jget pending_ops; }

# fl_drained DIR...: every office has nothing pending (prints the first that has).
fl_drained() {
	local d n
	for d in "$@"; do
		n=$(fl_pending "$d" 2>/dev/null)
		[ "$n" = 0 ] || { echo "$d: ${n:-no status} pending"; return 1; }
	done
}

# fl_wait_drained SECONDS DIR...: waits until every office has nothing pending; 1 on timeout.
fl_wait_drained() {
	local limit=$1
	shift
	POLL_EVERY=0.3 poll_until "$limit" fl_drained "$@" # a status per office each time
}

# started_or_gone LOG PID COUNT: LOG says "daemon started" COUNT times, or PID has exited.
started_or_gone() { log_has "$1" "daemon started" "$3" || ! kill -0 "$2" 2>/dev/null; }

# fl_daemon_start DIR LOG: starts `dossync daemon`; sets FL_DAEMON_PID.
fl_daemon_start() {
	local n=$(($(log_count "$2" "daemon started") + 1)) # a LOG may serve several starts
	"$DS" -d "$1" daemon --foreground 2>>"$2" &
	FL_DAEMON_PID=$!
	PIDS+=("$FL_DAEMON_PID")
	poll_until 5 started_or_gone "$2" "$FL_DAEMON_PID" "$n"
	kill -0 "$FL_DAEMON_PID" 2>/dev/null && log_has "$2" "daemon started" "$n" >/dev/null && return 0
	echo "FATAL: the daemon on $1 did not start: $(tail -2 "$2")" >&2
	exit 1
}

# fl_wait_log LOG PATTERN [COUNT] [SECONDS]: waits until LOG holds COUNT (1) lines matching
# PATTERN (grep BRE); 1 on timeout (default 30 s).
fl_wait_log() { poll_until "${4:-30}" log_has "$1" "$2" "${3:-1}"; }

# fl_daemon_stop PID: SIGTERM, then waits; FL_STOP_MS is how long the exit took; returns
# the daemon's exit status. (Not in $(...): wait needs the shell that started it.)
fl_daemon_stop() {
	local t0 rc
	t0=$(now_ms)
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
	FL_STOP_MS=$(($(now_ms) - t0))
	return $rc
}

# fl_wait_ops CENTRALDB NODE COUNT [SINCE_MS] [TIMEOUT_MS]: waits until central holds COUNT
# ops of NODE (a cheap read of central.db); prints the milliseconds from SINCE_MS (a
# now_ms value; default: now) until then.
fl_wait_ops() {
	python3 - "$1" "$2" "$3" "${4:-$(now_ms)}" "${5:-5000}" <<'PY'
import sqlite3, sys, time
db, node, want, t0, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ms = lambda: int(time.time() * 1000) - t0
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
while ms() < limit:
    if c.execute("SELECT count(*) FROM ops WHERE node = ?", (node,)).fetchone()[0] >= want:
        break
    time.sleep(0.01)
print(ms())
PY
}

# fl_node_ops CENTRALDB NODE: how many ops of NODE central holds.
fl_node_ops() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
print(c.execute("SELECT count(*) FROM ops WHERE node = ?", (sys.argv[2],)).fetchone()[0])' "$1" "$2"
}

# fl_held_bytes: the bytes clients sent that sit unread in dsproxy's sockets (its listening
# port's established connections, from /proc/net/tcp): under `hold`, a request in flight.
fl_held_bytes() {
	python3 -c 'import sys
port = int(sys.argv[1])
held = 0
for line in list(open("/proc/net/tcp"))[1:]:
    f = line.split()
    if int(f[1].split(":")[1], 16) == port and f[3] == "01":
        held += int(f[4].split(":")[1], 16)
print(held)' "$FL_PROXY_PORT"
}

# fl_in_step DIR CENTRALDB: the office holds central's state of its agencies' dossiers,
# the same bodies at the same versions (a condition to wait for: a pull has brought it);
# prints what differs.
fl_in_step() {
	python3 - "$1/agent.db" "$2" <<'PY'
import json, sqlite3, sys
a = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
c = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True, timeout=5)
mine = {k: (json.loads(b), v) for k, b, v in a.execute("SELECT code, body, version FROM dossiers")}
theirs = {}
for ag in {d["agency"] for d, _ in mine.values()}:
    theirs.update({k: (json.loads(b), v) for k, b, v in
                   c.execute("SELECT code, body, version FROM dossiers WHERE agency = ?", (ag,))})
diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
if diff:
    print(f"{len(diff)} dossiers differ from central's, e.g. {diff[0]}"); sys.exit(1)
PY
}

# fl_wait_in_step DESCRIPTION TIMEOUT_S DIR CENTRALDB: wait_for fl_in_step, polled every
# 0.5 s (it reads both databases whole).
fl_wait_in_step() { POLL_EVERY=0.5 wait_for "$1" "$2" fl_in_step "$3" "$4"; }

# fl_central_ops CENTRALDB: how many ops central holds (every node).
fl_central_ops() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
print(c.execute("SELECT count(*) FROM ops").fetchone()[0])' "$1"
}

# fl_converged DIR CENTRALDB: the checks every fault test ends with.
fl_converged() {
	local dir=$1 db=$2 node
	node=$(sed -n 's/^node = //p' "$dir/config")
	same "$node: nothing pending" "$(fl_pending "$dir")" "0"
	expect 0 "$node: verify" -- "$DS" -d "$dir" verify
	"$DS" -d "$dir" journal --json >"$WORK/fl.journal.json" || fail "$node: journal --json"
	"$DS" -d "$dir" list --json >"$WORK/fl.list.json" || fail "$node: list --json"
	"$DSC" --db "$db" list --json >"$WORK/fl.clist.json" || fail "central list --json"
	if python3 - "$WORK/fl.journal.json" "$db" "$node" "$dir/agent.db" "$WORK/fl.list.json" \
		"$WORK/fl.clist.json" >"$WORK/fl.check" 2>&1 <<'PY'; then pass; else fail "$node: $(cat "$WORK/fl.check")"; fi
import json, sqlite3, sys
jfile, cdb, node, adb, alist, clist = sys.argv[1:7]
journal = json.load(open(jfile))
c = sqlite3.connect(f"file:{cdb}?mode=ro", uri=True)
a = sqlite3.connect(f"file:{adb}?mode=ro", uri=True)
bad = []
ops = {r[0]: r for r in c.execute(
    "SELECT op_id, hash, result, entry FROM ops WHERE node = ?", (node,))}
if len(ops) != len(journal):
    bad.append(f"central holds {len(ops)} ops of {node}, the journal {len(journal)}")
fields = ("op_id", "code", "kind", "payload", "base", "parent", "actor", "occurred_at")
for e in journal:
    r = ops.get(e["op_id"])
    if r is None:
        bad.append(f"{e['op_id']} is missing on central"); continue
    if r[1] != e["hash"]:
        bad.append(f"{e['op_id']}: hash differs on central")
    if r[2] != "applied":
        bad.append(f"{e['op_id']}: {r[2]} on central")
    ent = json.loads(r[3])
    for f in fields:
        if ent.get(f) != e.get(f):
            bad.append(f"{e['op_id']}: {f} differs: {ent.get(f)!r} != {e.get(f)!r}"); break
applied = sum(1 for r in ops.values() if r[2] == "applied")
feed = c.execute("SELECT count(*), count(DISTINCT op_id) FROM feed WHERE node = ?", (node,)).fetchone()
if feed[0] != feed[1]:
    bad.append(f"an op of {node} was applied twice: {feed[0]} feed rows, {feed[1]} ops")
if feed[0] != applied:
    bad.append(f"central's feed holds {feed[0]} changes of {node}, its receipts {applied}")
mine = dict(a.execute("SELECT code, body FROM dossiers"))
mver = dict(a.execute("SELECT code, version FROM dossiers"))
agencies = {json.loads(b)["agency"] for b in mine.values()}
theirs, tver = {}, {}
for ag in agencies:
    theirs.update(c.execute("SELECT code, body FROM dossiers WHERE agency = ?", (ag,)))
    tver.update(c.execute("SELECT code, version FROM dossiers WHERE agency = ?", (ag,)))
if set(mine) != set(theirs):
    bad.append(f"dossier sets differ: {len(set(mine) - set(theirs))} only at the office, "
               f"{len(set(theirs) - set(mine))} only on central")
diff = [k for k in mine if k in theirs and json.loads(mine[k]) != json.loads(theirs[k])]
if diff:
    bad.append(f"{len(diff)} dossiers differ, e.g. {diff[0]}")
vdiff = [k for k in mver if k in tver and mver[k] != tver[k]]
if vdiff:
    bad.append(f"{len(vdiff)} dossiers rest on another version than central's, e.g. "
               f"{vdiff[0]}: {mver[vdiff[0]]} here, {tver[vdiff[0]]} on central")
al = {r["code"]: r["status"] for r in json.load(open(alist))}
cl = {r["code"]: r["status"] for r in json.load(open(clist)) if r["code"] in al}
if al != cl:
    bad.append("list --json differs between the office and central (codes or statuses)")
if bad:
    print("; ".join(bad[:6]) + (f" (and {len(bad) - 6} more)" if len(bad) > 6 else "")); sys.exit(1)
print(f"{node}: {len(journal)} ops, each applied once on central; {len(mine)} dossiers agree")
PY
	cat "$WORK/fl.check"
	# show --json on both sides, field by field, for a sample of dossiers.
	local code
	for code in $(python3 -c '
import json, random, sys
l = [r["code"] for r in json.load(open(sys.argv[1]))]
random.seed(len(l)); print(" ".join(random.sample(l, min(8, len(l)))))' "$WORK/fl.list.json"); do
		agree "$dir" "$db" "$code" # lib.sh
	done
}

# fl_no_sanitizer LOG...: no ASan/UBSan report in the logs.
fl_no_sanitizer() {
	local f
	for f in "$@"; do
		if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$f" 2>/dev/null; then
			fail "sanitizer report in $f: $(grep -E -m3 'AddressSanitizer|LeakSanitizer|runtime error' "$f")"
		else
			pass
		fi
	done
}
