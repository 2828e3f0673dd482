#!/usr/bin/env python3
"""converge.py: the randomized convergence test (seeded, reproducible by seed).

Two nodes of one office and the province edit overlapping dossiers for ROUNDS rounds while
the nodes' links drop (each node talks to central through its own dsproxy, switched between
pass, refuse and mid-response resets). Then the links come back, everyone syncs, a person
settles every open conflict, and everyone syncs until nothing moves. Afterwards:
- every node and central hold identical canonical JSON for every dossier;
- no conflict is open, no op is pending;
- every journal op has a receipt: applied, duplicate, superseded by a recorded merge
  (whose decisions are in history), or rejected with its reason (quarantined, visible);
- `verify` passes on every node.
usage: converge.py BIN [SEED] [ROUNDS]"""
import json, os, random, shutil, signal, socket, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1])
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time()) % 100000
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 200
AG = "000.00.12.H22"
LEGAL = {1: [2, 3, 5, 7], 2: [4, 6, 9, 7], 4: [4, 5, 6, 8, 9, 7], 5: [4, 8, 7],
         6: [4, 9, 10, 7], 7: [8], 9: [10, 6]}
rng = random.Random(SEED)
work = tempfile.mkdtemp(prefix="dossync-converge.")
procs = []
failures = []


def run(*args, ok=(0,), input=None):
    p = subprocess.run(args, capture_output=True, text=True, input=input,
                       env=dict(os.environ, DOSSYNC_LOCK_WAIT="10"))
    if p.returncode not in ok:
        raise SystemExit(f"seed {SEED}: {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def central(*args, ok=(0,), input=None):
    return run(f"{BIN}/dossync-central", "--db", f"{work}/central.db", "--actor", "tinh",
               *args, ok=ok, input=input)


def node(n, *args, ok=(0,), input=None):
    return run(f"{BIN}/dossync", "-d", f"{work}/{n}", "--actor", n, *args, ok=ok, input=input)


def start(args, portfile):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(f"{work}/log", "a"))
    procs.append(p)
    for _ in range(100):
        if os.path.exists(portfile) and os.path.getsize(portfile):
            return p, open(portfile).read().split()
        time.sleep(0.05)
    raise SystemExit("server did not start")


def ctl(port, cmd):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=2) as s:
        s.sendall((cmd + "\n").encode())
        s.recv(200)


def dossiers_of(n):
    return {r["code"]: r for r in json.loads(node(n, "list", "--json").stdout)}


def show(n, code):
    d = json.loads(node(n, "show", code, "--json").stdout)
    for k in ("version", "sync", "verdict", "late_by_s", "supplement_requests"):
        d.pop(k, None)
    return d


def random_edit(who, codes):
    """One act by a node or the province on a random dossier."""
    code = rng.choice(codes)
    if who == "tinh":
        d = json.loads(central("show", code, "--json").stdout)
    else:
        d = show(who, code)
    act = rng.random()
    phone = "09%08d" % rng.randrange(10**8)
    if act < 0.45:
        field = rng.choice(["applicant.phone", "summary", "applicant.address", "due_at"])
        value = {"applicant.phone": phone, "summary": f"sửa bởi {who} {rng.randrange(1000)}",
                 "applicant.address": f"Xóm {rng.randrange(20)}, xã Nghi Phú",
                 "due_at": "2099-%02d-1%dT17:00:00+07:00" % (rng.randrange(1, 13), rng.randrange(10))}[field]
        args = ("update", code, "--set", f"{field}={json.dumps(value, ensure_ascii=False)}")
    elif act < 0.8:
        nexts = LEGAL.get(d["status"], [])
        if d["status"] == 7 and "prior_status" in d:
            nexts = nexts + [d["prior_status"]]
        if not nexts:
            return
        args = ("transition", code, str(rng.choice(nexts)))
    else:
        item = f"tp{rng.randrange(2, 6)}"
        value = {"code": "BS", "name": f"Giấy bổ sung {who}", "originals": 1, "copies": 0,
                 "digitised": rng.random() < 0.5}
        args = ("update", code, "--set", f"components[{item}]={json.dumps(value, ensure_ascii=False)}")
    if who == "tinh":
        central(*args, ok=(0, 65))
    else:
        node(who, *args, ok=(0, 65))


def sync(n):
    return node(n, "sync", "--json", ok=(0, 75)).returncode == 0


def main():
    print(f"seed {SEED}, {ROUNDS} rounds, work {work}")
    central("init")
    tok = central("token", "add", "--office", AG).stdout.strip()
    open(f"{work}/tok", "w").write(tok + "\n")
    _, (cport,) = start([f"{BIN}/dossync-central", "--db", f"{work}/central.db", "serve",
                         "--listen", "127.0.0.1:0", "--port-file", f"{work}/cport"], f"{work}/cport")
    proxies = {}
    for i, n in enumerate(["n1", "n2"]):
        _, (pport, ctlport) = start([f"{BIN}/dsproxy", "--listen", "127.0.0.1:0", "--target",
                                     f"127.0.0.1:{cport}", "--control", "127.0.0.1:0",
                                     "--portfile", f"{work}/{n}.ports"], f"{work}/{n}.ports")
        proxies[n] = ctlport
        run(f"{BIN}/dossync", "-d", f"{work}/{n}", "init", "--office", AG, "--node", n,
            "--central", f"http://127.0.0.1:{pport}", "--token-file", f"{work}/tok",
            "--code-block", ["1-4999", "5000-8999"][i])
        with open(f"{work}/{n}/config", "a") as f:
            f.write("connect_timeout = 2\ntotal_timeout = 10\n")
    gen = run(f"{BIN}/dsgen", "--count", "8", "--seed", str(SEED), "--office", AG).stdout.splitlines()
    for i, line in enumerate(gen):
        node("n1" if i % 2 == 0 else "n2", "create", "-", input=line)
    sync("n1"); sync("n2"); sync("n1")
    codes = sorted(dossiers_of("n1"))
    for r in range(ROUNDS):
        who = rng.choice(["n1", "n2", "tinh", "n1", "n2"])
        if rng.random() < 0.25 and who != "tinh":
            ctl(proxies[who], rng.choice(["pass", "pass", "refuse", "reset down 700", "reset up 300"]))
            sync(who)
        else:
            random_edit(who, codes)
    for n in proxies:
        ctl(proxies[n], "pass")
    settle()
    check(codes)


def settle():
    for it in range(12):
        moved = False
        for n in ["n1", "n2"]:
            out = node(n, "sync", "--json")
            s = json.loads(out.stdout)
            moved |= bool(s["pushed"] or s["pulled"])
            for c in json.loads(node(n, "conflicts", "--json").stdout):
                choice = rng.choice(["--ours", "--theirs"])
                # A choice that would be an illegal status move (out of central's 10, say)
                # is refused with 65 and nothing written; the person then keeps central's.
                if node(n, "resolve", c["code"], c["field"], choice, ok=(0, 65)).returncode:
                    node(n, "resolve", c["code"], c["field"], "--theirs")
                moved = True
        if not moved and it > 0:
            return
    failures.append("did not settle within 12 passes")


def check(codes):
    cen = {r["code"] for r in json.loads(central("list", "--json").stdout)}
    for n in ["n1", "n2"]:
        mine = set(dossiers_of(n))
        if mine != cen:
            failures.append(f"{n} holds {sorted(mine ^ cen)} differently from central")
        for code in sorted(cen):
            c = json.loads(central("show", code, "--json").stdout); c.pop("version", None)
            if show(n, code) != c:
                failures.append(f"{n} {code} differs from central")
        st = json.loads(node(n, "status", "--json").stdout)
        if st["pending_ops"] or st["open_conflicts"]:
            failures.append(f"{n}: {st['pending_ops']} pending, {st['open_conflicts']} open")
        journal = json.loads(node(n, "journal", "--json").stdout)
        merged_codes = {e["code"] for e in journal if e["kind"] == "merge"}
        for e in journal:
            if e["sync"] == "pending":
                failures.append(f"{n} op {e['op_id']} never reached central")
            if e["sync"] == "superseded" and e["code"] not in merged_codes:
                failures.append(f"{n} op {e['op_id']} superseded without a merge")
            if e["sync"] == "rejected" and not e.get("reason"):
                failures.append(f"{n} op {e['op_id']} rejected without a reason")
        kinds = {}
        for e in journal:
            kinds[e["sync"]] = kinds.get(e["sync"], 0) + 1
        print(f"{n}: {len(journal)} ops {kinds}")
        v = node(n, "verify", ok=(0, 65))
        if v.returncode:
            failures.append(f"{n} verify: {v.stderr.strip()}")


try:
    main()
finally:
    for p in procs:
        p.send_signal(signal.SIGTERM)
        p.wait()
    if failures:
        print(f"seed {SEED}: {len(failures)} failures", *failures[:30], sep="\n  ")
        print(f"work kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
