#!/usr/bin/env bash
# test_dsproxy.sh: end-to-end checks of dsproxy, the fault-injection TCP proxy. Runs a
# python3 echo server on 127.0.0.1 as the target, starts dsproxy in front of it and checks
# every control command with real clients. Usage: test_dsproxy.sh PATH/TO/dsproxy
set -u

PROXY=${1:?usage: test_dsproxy.sh PATH/TO/dsproxy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsproxy-test.XXXXXX")
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { CHECKS=$((CHECKS + 1)); echo "ok - $1"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL - $1"; }
expect_eq() { # what got want
	if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}
expect_match() { # what got regex
	if [[ "$2" =~ $3 ]]; then pass "$1"; else fail "$1: got '$2', want /$3/"; fi
}
expect_ge() { # what got min
	if [[ "$2" =~ ^[0-9]+$ ]] && (("$2" >= "$3")); then pass "$1 ($2 >= $3)"; else fail "$1: got '$2', want >= $3"; fi
}

# ---------------------------------------------------------------- python helpers
cat >"$WORK/h.py" <<'EOF'
# Target server and clients for test_dsproxy.sh; each subcommand prints one result line.
import os, socket, socketserver, sys, threading, time

H = "127.0.0.1"

def ctl(port, *cmds):
    s = socket.create_connection((H, port), timeout=5)
    f = s.makefile("rb")
    out = []
    for c in cmds:
        s.sendall(c.encode() + b"\n")
        out.append(f.readline().decode().rstrip("\n"))
    s.close()
    return out

def recv_upto(s, n, timeout):
    """Reads up to n bytes; returns (bytes, how) with how in full/eof/reset/timeout."""
    buf, end = bytearray(), time.monotonic() + timeout
    while len(buf) < n:
        left = end - time.monotonic()
        if left <= 0:
            return bytes(buf), "timeout"
        s.settimeout(left)
        try:
            d = s.recv(n - len(buf))
        except socket.timeout:
            return bytes(buf), "timeout"
        except ConnectionResetError:
            return bytes(buf), "reset"
        if not d:
            return bytes(buf), "eof"
        buf += d
    return bytes(buf), "full"

def server(portfile, log):
    lock = threading.Lock()
    def note(line):
        with lock, open(log, "a") as f:
            f.write(line + "\n")
    class Echo(socketserver.BaseRequestHandler):
        def handle(self):
            note("open")
            n, echo = 0, True
            while True:  # counts every byte that arrives, even once echoing fails
                try:
                    d = self.request.recv(65536)
                except OSError:
                    break
                if not d:
                    break
                n += len(d)
                try:
                    if echo:
                        self.request.sendall(d)
                except OSError:
                    echo = False
            note("close %d" % n)
    class Srv(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True
    srv = Srv((H, 0), Echo)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()

def roundtrip(port, n):
    data = os.urandom(n)
    s = socket.create_connection((H, port), timeout=5)
    t0 = time.monotonic()
    s.sendall(data)
    got, how = recv_upto(s, n, 15)
    ms = int((time.monotonic() - t0) * 1000)
    s.close()
    print("%s %d" % ("same" if got == data else "differs:" + how, ms))

def flipped(port, n):
    # the echo of n random bytes: the offsets that differ, and by which bits
    data = os.urandom(n)
    s = socket.create_connection((H, port), timeout=5)
    s.sendall(data)
    got, how = recv_upto(s, n, 15)
    s.close()
    diff = [(i, a ^ b) for i, (a, b) in enumerate(zip(data, got)) if a != b]
    print("%d %s" % (len(got), " ".join("%d^%d" % d for d in diff) or "none"))

def cut(port, n):
    try:  # a reset can beat connect() back to the caller on loopback
        s = socket.create_connection((H, port), timeout=5)
        s.sendall(os.urandom(n))
    except (BrokenPipeError, ConnectionResetError):
        print("reset 0")
        return
    got, how = recv_upto(s, n, 3)
    print("%s %d" % (how, len(got)))

def hold(cport, port):
    s = socket.create_connection((H, port), timeout=5)
    s.sendall(b"a")
    if recv_upto(s, 1, 2)[0] != b"a":
        print("no-echo-before-hold")
        return
    ok = ctl(cport, "hold")
    s.sendall(b"held")
    got, how = recv_upto(s, 4, 1.0)
    first = "silent" if how == "timeout" and not got else "not-silent:%s:%r" % (how, got)
    s2 = socket.create_connection((H, port), timeout=5)
    s2.sendall(b"new")
    got2, how2 = recv_upto(s2, 3, 0.3)
    second = "silent" if how2 == "timeout" and not got2 else "not-silent:%s" % how2
    ok += ctl(cport, "pass")
    r1 = recv_upto(s, 4, 3)[0] == b"held"
    r2 = recv_upto(s2, 3, 3)[0] == b"new"
    print(" ".join(ok), first, second, "restored" if r1 and r2 else "lost")

def drop(cport, port):
    s = socket.create_connection((H, port), timeout=5)
    s.sendall(b"x")
    if recv_upto(s, 1, 2)[0] != b"x":
        print("no-echo-before-drop")
        return
    t0 = time.monotonic()
    ok = ctl(cport, "drop")
    got, how = recv_upto(s, 1, 2)
    print(ok[0], how, "fast" if time.monotonic() - t0 < 1 else "slow")

def http(port):
    s = socket.create_connection((H, port), timeout=5)
    s.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: central\r\nUser-Agent: test\r\n\r\n")
    got, how = recv_upto(s, 65536, 3)
    print(repr(got.decode(errors="replace")), how)

def connect(port):
    try:
        s = socket.create_connection((H, port), timeout=2)
    except ConnectionRefusedError:
        print("refused")
        return
    got, how = recv_upto(s, 1, 1)
    print("accepted-then-" + how)

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "ctl":
    print("\n".join(ctl(int(args[0]), *args[1:])))
elif cmd == "server":
    server(args[0], args[1])
else:
    globals()[cmd](*[int(a) for a in args])
EOF

# The interpreter itself (not a version-manager shim) without site packages: h.py needs
# only the standard library, and this starts in ~40 ms instead of ~500.
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || { echo "FAIL - python3 is needed"; exit 1; }
py() { "$PYTHON" -S "$WORK/h.py" "$@"; }
wait_file() { # path: waits up to 5 s for it
	for _ in $(seq 50); do [[ -s "$1" ]] && return 0; sleep 0.1; done
	return 1
}
ctl() { py ctl "$CPORT" "$@"; }
zero() { ctl zero >/dev/null; }
stats() { ctl stats; }
# stats once the proxy has no open connection (clients close, the proxy follows).
settled_stats() {
	local s
	for _ in $(seq 40); do
		s=$(stats)
		[[ "$s" == *'"active":0}' ]] && break
		sleep 0.05
	done
	echo "$s"
}

# ---------------------------------------------------------------- bad command lines
out=$("$PROXY" --listen 0.0.0.0:0 --target 127.0.0.1:9 --control 127.0.0.1:0 2>&1)
expect_eq "--listen 0.0.0.0 exits 64" "$?" 64
expect_match "--listen 0.0.0.0 says why" "$out" "not a loopback address"
"$PROXY" --listen 127.0.0.1:0 --target 10.1.2.3:80 --control 127.0.0.1:0 2>/dev/null
expect_eq "--target 10.1.2.3 exits 64" "$?" 64
"$PROXY" --listen 127.0.0.1:0 --target 127.0.0.1:9 --control 192.168.1.1:0 2>/dev/null
expect_eq "--control 192.168.1.1 exits 64" "$?" 64
"$PROXY" --listen '[::]:0' --target 127.0.0.1:9 --control 127.0.0.1:0 2>/dev/null
expect_eq "--listen [::] exits 64" "$?" 64
"$PROXY" --listen example.org:80 --target 127.0.0.1:9 --control 127.0.0.1:0 2>/dev/null
expect_eq "a host name exits 64" "$?" 64
"$PROXY" --listen 127.0.0.1:0 --target 127.0.0.1:0 --control 127.0.0.1:0 2>/dev/null
expect_eq "--target port 0 exits 64" "$?" 64
"$PROXY" --listen 127.0.0.1:0 --control 127.0.0.1:0 2>/dev/null
expect_eq "missing --target exits 64" "$?" 64
"$PROXY" --listen 127.0.0.1:0 --target 127.0.0.1:9 --control 127.0.0.1:0 --bogus 2>/dev/null
expect_eq "unknown option exits 64" "$?" 64

# ---------------------------------------------------------------- start target and proxy
# python3 itself in the background (not through py()), so $! is the server's own pid.
"$PYTHON" -S "$WORK/h.py" server "$WORK/tport" "$WORK/target.log" >"$WORK/server.out" 2>&1 &
PIDS+=($!)
wait_file "$WORK/tport" || { echo "FAIL - target server did not start"; exit 1; }
TPORT=$(cat "$WORK/tport")
touch "$WORK/target.log"

"$PROXY" --listen 127.0.0.1:0 --target "127.0.0.1:$TPORT" --control 127.0.0.1:0 \
	--portfile "$WORK/ports" --pidfile "$WORK/pid" --verbose >/dev/null 2>"$WORK/proxy.log" &
PPID_=$!
PIDS+=($PPID_)
wait_file "$WORK/ports" || { echo "FAIL - dsproxy did not write its portfile"; cat "$WORK/proxy.log"; exit 1; }
expect_match "portfile holds two ports" "$(cat "$WORK/ports")" '^[0-9]+ [0-9]+$'
read -r LPORT CPORT <"$WORK/ports"
expect_eq "pidfile holds the pid" "$(cat "$WORK/pid")" "$PPID_"

"$PROXY" --listen "127.0.0.1:$LPORT" --target "127.0.0.1:$TPORT" --control 127.0.0.1:0 2>/dev/null
expect_eq "a listen port in use exits 75" "$?" 75

# ---------------------------------------------------------------- control protocol
expect_eq "unknown command" "$(ctl bogus)" "error: unknown command 'bogus'"
expect_match "latency needs a number" "$(ctl 'latency abc')" "^error: latency 'abc'"
expect_match "latency needs its argument" "$(ctl latency)" "^error: usage: latency MS"
expect_match "bandwidth refuses a negative" "$(ctl 'bandwidth -5')" "^error: bandwidth '-5'"
expect_match "reset needs a direction" "$(ctl 'reset sideways 5')" "^error: reset 'sideways'"
expect_match "reset needs a count" "$(ctl 'reset up x')" "^error: reset up 'x'"
expect_match "pass takes no argument" "$(ctl 'pass now')" "^error: usage: pass$"
expect_eq "empty line" "$(ctl '')" "error: empty command"
expect_eq "several commands on one connection" "$(ctl pass zero stats | tr '\n' '|')" \
	'ok|ok|{"connections":0,"bytes_up":0,"bytes_down":0,"active":0}|'

# ---------------------------------------------------------------- pass
zero
expect_match "pass forwards both ways" "$(py roundtrip "$LPORT" 1234)" '^same '
expect_eq "stats count the bytes exactly" "$(settled_stats)" \
	'{"connections":1,"bytes_up":1234,"bytes_down":1234,"active":0}'
expect_eq "the target got every byte" "$(tail -n1 "$WORK/target.log")" "close 1234"
zero
expect_eq "zero clears the counters" "$(stats)" \
	'{"connections":0,"bytes_up":0,"bytes_down":0,"active":0}'

# ---------------------------------------------------------------- latency
expect_eq "latency 300" "$(ctl 'latency 300')" ok
r=$(py roundtrip "$LPORT" 10)
expect_match "data arrives intact under latency" "$r" '^same '
expect_ge "a round trip under latency 300 takes ms" "${r#* }" 600
ctl pass >/dev/null
r=$(py roundtrip "$LPORT" 10)
expect_match "pass lifts the latency (under 600 ms)" "${r#* }" '^([0-9]{1,2}|[0-5][0-9]{2})$'

# ---------------------------------------------------------------- bandwidth
expect_eq "bandwidth 10000" "$(ctl 'bandwidth 10000')" ok
zero
r=$(py roundtrip "$LPORT" 20000)
expect_match "data arrives intact under a cap" "$r" '^same '
expect_ge "20 KB at 10000 B/s takes ms" "${r#* }" 1500
expect_eq "capped bytes are counted" "$(settled_stats)" \
	'{"connections":1,"bytes_up":20000,"bytes_down":20000,"active":0}'
expect_eq "bandwidth 0 removes the cap" "$(ctl 'bandwidth 0')" ok
r=$(py roundtrip "$LPORT" 200000)
expect_match "200 KB uncapped is fast (under 1 s, not 20)" "$r" '^same [0-9]{1,3}$'

# ---------------------------------------------------------------- flip up / down
# "flip up 1000": byte 1000 of what goes up next (over all connections) arrives with its
# lowest bit inverted, once; the echo shows it. "flip down 10" does the same on the way
# back; pass clears a flip not yet done.
ctl pass >/dev/null
expect_eq "flip up 1000" "$(ctl 'flip up 1000')" ok
expect_eq "the byte after 1000 changed, once" "$(py flipped "$LPORT" 5000)" "5000 1000^1"
expect_eq "the next echo is intact" "$(py flipped "$LPORT" 5000)" "5000 none"
expect_eq "flip down 10" "$(ctl 'flip down 10')" ok
expect_eq "byte 10 changed on the way back" "$(py flipped "$LPORT" 100)" "100 10^1"
ctl 'flip up 0' >/dev/null
expect_eq "pass clears a flip" "$(ctl pass)" ok
expect_eq "nothing changed after pass" "$(py flipped "$LPORT" 100)" "100 none"
expect_match "flip sideways" "$(ctl 'flip sideways 1')" '^error: flip .sideways.'

# ---------------------------------------------------------------- reset up / down
# "reset up 100": the proxy forwards exactly 100 bytes upward on the connection, then
# resets both sides when byte 101 is due; the client sees a reset (or EOF), never a reply
# beyond what those 100 bytes echoed.
ctl pass >/dev/null
zero
expect_eq "reset up 100" "$(ctl 'reset up 100')" ok
r=$(py cut "$LPORT" 1000)
expect_match "the client sees the upload cut" "$r" '^(reset|eof) ([0-9]|[0-9][0-9]|100)$'
for _ in $(seq 40); do [[ "$(tail -n1 "$WORK/target.log")" == close* ]] && break; sleep 0.05; done
expect_eq "the target received exactly 100 bytes" "$(tail -n1 "$WORK/target.log")" "close 100"
expect_match "stats count 100 bytes up" "$(settled_stats)" '"bytes_up":100,'
ctl pass >/dev/null
zero
expect_eq "reset down 100" "$(ctl 'reset down 100')" ok
r=$(py cut "$LPORT" 1000)
expect_match "the client gets at most 100 bytes, then a cut" "$r" '^(reset|eof) ([0-9]|[0-9][0-9]|100)$'
expect_match "stats count 100 bytes down" "$(settled_stats)" '"bytes_down":100,'
expect_eq "pass clears the reset" "$(ctl pass)" ok
expect_match "a long upload passes again" "$(py roundtrip "$LPORT" 5000)" '^same '

# ---------------------------------------------------------------- hold
expect_eq "hold: old and new connections go silent and stay open; pass restores both" \
	"$(py hold "$CPORT" "$LPORT")" "ok ok silent silent restored"

# ---------------------------------------------------------------- http503
n_open=$(grep -c '^open' "$WORK/target.log")
expect_eq "http503" "$(ctl http503)" ok
expect_eq "a request gets 503" "$(py http "$LPORT")" \
	"'HTTP/1.1 503 Service Unavailable\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' eof"
expect_eq "503 does not contact the target" "$(grep -c '^open' "$WORK/target.log")" "$n_open"
ctl pass >/dev/null
expect_match "pass forwards again after 503" "$(py roundtrip "$LPORT" 100)" '^same '

# ---------------------------------------------------------------- refuse
expect_eq "refuse" "$(ctl refuse)" ok
expect_eq "a connect is refused" "$(py connect "$LPORT")" refused
expect_eq "refuse twice is fine" "$(ctl refuse)" ok
expect_eq "pass listens again" "$(ctl pass)" ok
expect_match "pass forwards again after refuse" "$(py roundtrip "$LPORT" 100)" '^same '

# ---------------------------------------------------------------- drop
expect_match "drop closes an open connection at once" "$(py drop "$CPORT" "$LPORT")" \
	'^ok (reset|eof) fast$'
expect_match "no connection left after drop" "$(settled_stats)" '"active":0}$'

# ---------------------------------------------------------------- combined: latency + reset
ctl pass 'latency 100' 'reset down 10' >/dev/null
r=$(py cut "$LPORT" 50)
expect_match "reset with latency still cuts" "$r" '^(reset|eof) ([0-9]|10)$'
ctl pass >/dev/null

# ---------------------------------------------------------------- exit
kill -TERM "$PPID_"
wait "$PPID_"
expect_eq "SIGTERM exits 0" "$?" 0
[[ -e "$WORK/pid" ]] && fail "pidfile removed at exit" || pass "pidfile removed at exit"

# A second proxy whose target is gone (the first proxy's port, now closed): a client is
# accepted, then reset; the control port also works from bash alone through /dev/tcp.
"$PROXY" --listen 127.0.0.1:0 --target "127.0.0.1:$LPORT" --control 127.0.0.1:0 \
	--portfile "$WORK/ports2" >/dev/null 2>>"$WORK/proxy.log" &
QPID=$!
PIDS+=($QPID)
wait_file "$WORK/ports2" || fail "second dsproxy did not start"
read -r LPORT CPORT <"$WORK/ports2"
expect_match "a dead target: the client sees a reset" "$(py cut "$LPORT" 10)" '^(reset|eof) 0$'
exec 3<>"/dev/tcp/127.0.0.1/$CPORT"
printf 'stats\n' >&3
read -r -t 5 line <&3
exec 3>&-
expect_eq "bash /dev/tcp control; the reset client was counted" "$line" \
	'{"connections":1,"bytes_up":0,"bytes_down":0,"active":0}'
expect_eq "quit answers ok" "$(ctl quit)" ok
wait "$QPID"
expect_eq "quit exits 0" "$?" 0

if grep -qE 'Sanitizer|runtime error' "$WORK/proxy.log"; then
	fail "dsproxy ran clean under the sanitizers (see its log below)"
else
	pass "no sanitizer report in the dsproxy log"
fi

if ((FAILS > 0)); then
	echo "--- dsproxy log"
	tail -n 40 "$WORK/proxy.log"
	echo "$FAILS of $CHECKS checks failed"
	exit 1
fi
echo "all $CHECKS checks passed"
