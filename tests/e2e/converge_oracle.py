#!/usr/bin/env python3
"""converge_oracle.py: the randomized no-silent-overwrite test (issue 11), seeded.

Two PCs of one office (n1, n2, each behind its own dsproxy) and the province (on central)
edit dossiers for ROUNDS rounds; in contention mode most edits go to two hot dossiers.
Faults between the edits: links that refuse, answer 503, reset on the way up, lose the
answer after central applied (reset down 0), stall; a clerk's edit while the push is in
flight; SIGKILL of a syncing agent; SIGKILL of central (restarted on the same port). Then
the links heal, everyone syncs, a person settles every open conflict, and everyone syncs
until nothing moves.

Every write carries a unique value and remembers the value it replaced on its author's
screen (the author's `show` just before). The oracle, per field of summary,
applicant.phone, applicant.address, due_at:
- the final value is a write nobody replaced (the last in causal order), or the winner of
  a recorded decision (a merge record in history.git, a person's `resolve`);
- no automatic decision (merge records in every node's history.git, and the merge ops in
  every journal) picked a value that the loser's author had already seen and replaced
  (directly or further up its chain);
- the final value is never one somebody saw and replaced, unless a person chose it.
And as converge.py: identical states everywhere, no op pending or conflict open, each op
applied once on central, `verify` passes on every node.

usage: converge_oracle.py BIN [SEED] [ROUNDS] [--contention]
Long runs: for s in $(seq 1 200); do python3 converge_oracle.py build/bin $s 300 --contention
|| break; done (each prints its seed; a failure keeps its work folder)."""
import json, os, random, re, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, time

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIN = os.path.abspath(ARGS[0])
SEED = int(ARGS[1]) if len(ARGS) > 1 else int(time.time()) % 100000
ROUNDS = int(ARGS[2]) if len(ARGS) > 2 else 120
CONTENTION = "--contention" in sys.argv
AG = "000.00.12.H22"
NODES = ["n1", "n2"]
FIELDS = ["summary", "applicant.phone", "applicant.address", "due_at"]
LEGAL = {1: [2, 3, 5, 7], 2: [4, 6, 9, 7], 4: [4, 5, 6, 8, 9, 7], 5: [4, 8, 7],
         6: [4, 9, 10, 7], 7: [8], 9: [10, 6]}
rng = random.Random(SEED)
work = tempfile.mkdtemp(prefix="dossync-oracle.")
procs, failures, writes, chosen = [], [], [], set()
env = dict(os.environ, DOSSYNC_LOCK_WAIT="20")
cen = {"proc": None, "port": None}
counter = [0]
stats = {"writes": 0, "lost_answers": 0, "agent_kills": 0, "central_kills": 0,
         "in_flight": 0, "faults": 0, "resolved": 0}


def run(*args, ok=(0,), input=None):
    p = subprocess.run(args, capture_output=True, text=True, input=input, env=env)
    if p.returncode not in ok:
        raise SystemExit(f"seed {SEED}: {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def central(*args, ok=(0,)):
    return run(f"{BIN}/dossync-central", "--db", f"{work}/central.db", "--actor", "tinh",
               *args, ok=ok)


def node(n, *args, ok=(0,), input=None):
    return run(f"{BIN}/dossync", "-d", f"{work}/{n}", "--actor", n, *args, ok=ok, input=input)


def wait_port(portfile, p):
    for _ in range(200):
        if os.path.exists(portfile) and os.path.getsize(portfile):
            return open(portfile).read().split()
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"seed {SEED}: a server did not start")


def central_start():
    pf = f"{work}/cport"
    if os.path.exists(pf):
        os.unlink(pf)
    p = subprocess.Popen([f"{BIN}/dossync-central", "--db", f"{work}/central.db", "serve",
                          "--listen", f"127.0.0.1:{cen['port'] or 0}", "--port-file", pf],
                         stdout=subprocess.DEVNULL, stderr=open(f"{work}/central.log", "a"))
    cen["port"] = wait_port(pf, p)[0]
    cen["proc"] = p


def central_kill():
    cen["proc"].send_signal(signal.SIGKILL)
    cen["proc"].wait()
    stats["central_kills"] += 1


def ctl(port, cmd):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as s:
        s.sendall((cmd + "\n").encode())
        s.recv(200)


def state_of(who, code):
    if who == "tinh":
        return json.loads(central("show", code, "--json").stdout)
    return json.loads(node(who, "show", code, "--json").stdout)


def get(d, field):
    for k in field.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def last_op(n):
    db = sqlite3.connect(f"file:{work}/{n}/agent.db?mode=ro", uri=True, timeout=20)
    r = db.execute("SELECT op_id FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    db.close()
    return r[0] if r else None


def unique_value(field, who):
    counter[0] += 1
    k = counter[0]
    if field == "summary":
        return f"tóm tắt {who} #{k}"
    if field == "applicant.phone":
        return "09%08d" % k
    if field == "applicant.address":
        return f"Xóm {k}, {who}, xã Nghi Phú"
    t = time.gmtime(4070908800 + k * 60)  # 2099-01-01 plus k minutes
    return time.strftime("%Y-%m-%dT%H:%M:00+07:00", t)


def pick_code(codes):
    if CONTENTION and rng.random() < 0.8:
        return rng.choice(codes[:2])
    return rng.choice(codes)


def write(who, codes, code=None, move=0.25, field=None):
    """One field write (remembered with the value it replaced) or a status move; returns
    (code, field written or None)."""
    code = code or pick_code(codes)
    d = state_of(who, code)
    if rng.random() < move:
        nexts = LEGAL.get(d["status"], []) + ([d["prior_status"]] if "prior_status" in d else [])
        if nexts:
            args = ("transition", code, str(rng.choice(nexts)))
            central(*args, ok=(0, 65)) if who == "tinh" else node(who, *args, ok=(0, 65))
        return code, None
    field = field or rng.choice(FIELDS)
    value = unique_value(field, who)
    args = ("update", code, "--set", f"{field}={json.dumps(value, ensure_ascii=False)}")
    p = central(*args, ok=(0, 65)) if who == "tinh" else node(who, *args, ok=(0, 65))
    if p.returncode:
        return code, None
    op = last_op(who) if who != "tinh" else None
    writes.append({"who": who, "code": code, "field": field, "value": value,
                   "replaced": get(d, field), "op": op})
    stats["writes"] += 1
    return code, field


def sync_bg(n):
    return subprocess.Popen([f"{BIN}/dossync", "-d", f"{work}/{n}", "sync"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def fault_round(n, px, codes):
    """One fault on node n's link or process, around a sync."""
    kind = rng.choice(["refuse", "http503", "reset up 300", "lost", "lost", "inflight",
                       "kill", "kill", "central", "hold"])
    stats["faults"] += 1
    if kind == "lost":
        code, field = write(n, codes, move=0)
        ctl(px, "reset down 0")  # central applies the push, the answer never arrives
        node(n, "sync", ok=(0, 75))
        stats["lost_answers"] += 1
        ctl(px, "pass")
        if rng.random() < 0.5:  # the other PC sees the value and replaces it
            other = NODES[1 - NODES.index(n)]
            node(other, "sync", ok=(0, 75))
            write(other, codes, code, move=0, field=field if rng.random() < 0.7 else None)
            node(other, "sync", ok=(0, 75))
        write(n, codes, code)  # the next op rests on an old base with a parent
    elif kind == "inflight":
        ctl(px, "latency 250")
        p = sync_bg(n)
        time.sleep(rng.uniform(0.05, 0.4))
        write(n, codes)  # a clerk's edit while the push is in flight
        p.wait()
        stats["in_flight"] += 1
    elif kind == "kill":
        p = sync_bg(n)
        time.sleep(rng.uniform(0.01, 0.3))
        p.send_signal(signal.SIGKILL)
        p.wait()
        stats["agent_kills"] += 1
    elif kind == "central":
        p = sync_bg(n)
        time.sleep(rng.uniform(0.0, 0.2))
        central_kill()
        p.wait()
        write("tinh", codes)  # the province works on while the server is down
        central_start()
    elif kind == "hold":
        ctl(px, "hold")
        node(n, "sync", ok=(0, 75))
    else:
        ctl(px, kind)
        node(n, "sync", ok=(0, 75))
    ctl(px, "pass")


def setup():
    central("init")
    open(f"{work}/tok", "w").write(central("token", "add", "--office", AG).stdout.strip() + "\n")
    central_start()
    proxies = {}
    for i, n in enumerate(NODES):
        p = subprocess.Popen([f"{BIN}/dsproxy", "--listen", "127.0.0.1:0", "--target",
                              f"127.0.0.1:{cen['port']}", "--control", "127.0.0.1:0",
                              "--portfile", f"{work}/{n}.ports"], stdout=subprocess.DEVNULL,
                             stderr=open(f"{work}/proxy.log", "a"))
        procs.append(p)
        pport, proxies[n] = wait_port(f"{work}/{n}.ports", p)
        run(f"{BIN}/dossync", "-d", f"{work}/{n}", "init", "--office", AG, "--node", n,
            "--central", f"http://127.0.0.1:{pport}", "--token-file", f"{work}/tok",
            "--code-block", ["1-4999", "5000-8999"][i])
        with open(f"{work}/{n}/config", "a") as f:
            f.write("connect_timeout = 2\ntotal_timeout = 3\nlow_speed_time = 2\n")
    gen = run(f"{BIN}/dsgen", "--count", "6", "--seed", str(SEED), "--office", AG).stdout
    for i, line in enumerate(gen.splitlines()):
        node(NODES[i % 2], "create", "-", input=line)
    for n in NODES + NODES:
        node(n, "sync")
    return proxies


def settle():
    for it in range(15):
        moved = False
        for n in NODES:
            s = json.loads(node(n, "sync", "--json").stdout)
            moved |= bool(s["pushed"] or s["pulled"])
            for c in json.loads(node(n, "conflicts", "--json").stdout):
                node(n, "resolve", c["code"], c["field"], rng.choice(["--ours", "--theirs"]))
                if c["field"] in FIELDS:  # a person chose this value
                    chosen.add((c["code"], c["field"], json.dumps(get(state_of(n, c["code"]), c["field"]))))
                stats["resolved"] += 1
                moved = True
        if not moved and it > 0:
            return
    failures.append("did not settle within 15 passes")


LINE = re.compile(r"^(\S+) (\S+): ([\w:-]+) \(ours (.*?), theirs (.*?)(?:; replaced (.*))?\)$")


def decisions():
    """Automatic decisions from the merge records of every node: (node, code, field,
    policy, winner, loser) with values as Python objects (None: absent)."""
    out = []
    for n in NODES:
        log = subprocess.run(["git", "--git-dir", f"{work}/{n}/history.git", "log",
                              "--format=%B", "local"], capture_output=True, text=True).stdout
        for line in log.splitlines():
            m = LINE.match(line)
            if not m or m.group(2) not in FIELDS:
                continue
            code, field, policy = m.group(1), m.group(2), m.group(3)
            ours, theirs = [None if v == "absent" else json.loads(v) for v in m.group(4, 5)]
            if policy in ("ours", "owner:office") or (policy == "later-act" and
                                                      json.loads(m.group(6)) == theirs):
                out.append((n, code, field, policy, ours, theirs))
            else:
                out.append((n, code, field, policy, theirs, ours))
    return out


def merge_ops(journals):
    """Automatic decisions read from the merge ops themselves (robust to a merge record
    lost with a killed agent): every field in a merge op's payload is ours' value kept over
    central's value at the op's base. Same tuples as decisions()."""
    db = sqlite3.connect(f"file:{work}/central.db?mode=ro", uri=True, timeout=20)
    out = []
    for n, journal in journals.items():
        for e in journal:
            if e["kind"] != "merge":
                continue
            row = db.execute("SELECT state FROM feed WHERE code = ? AND version = ?",
                             (e["code"], e["base"])).fetchone()
            for field in FIELDS:
                win = get(e["payload"], field)
                if row and win is not None and win != get(json.loads(row[0]), field):
                    out.append((n, e["code"], field, "merge op " + e["op_id"], win,
                                get(json.loads(row[0]), field)))
    db.close()
    return out


def oracle(codes):
    rejected, journals = set(), {}
    for n in NODES:
        journals[n] = json.loads(node(n, "journal", "--json").stdout)
        for e in journals[n]:
            if e["sync"] == "rejected":
                rejected.add(e["op_id"])
    ws = [w for w in writes if w["op"] not in rejected]
    by_value = {(w["code"], w["field"], json.dumps(w["value"])): w for w in ws}
    replaced = {(w["code"], w["field"], json.dumps(w["replaced"])): w for w in ws}

    def chain(code, field, value):
        """The values the author of value had seen and replaced, up its chain."""
        seen, w = [], by_value.get((code, field, json.dumps(value)))
        while w:
            seen.append(w["replaced"])
            w = by_value.get((code, field, json.dumps(w["replaced"])))
        return seen

    notes, kept = decisions(), merge_ops(journals)
    autos = notes + kept
    for n, code, field, policy, win, lose in autos:
        if win in chain(code, field, lose):
            failures.append(f"{n}: automatic {policy} on {code} {field} kept {win!r}, which "
                            f"the author of {lose!r} had seen and replaced")
    winners = {(c, f, json.dumps(w)) for _, c, f, _, w, _ in autos}
    for code in codes:
        final = json.loads(central("show", code, "--json").stdout)
        for field in FIELDS:
            key = (code, field, json.dumps(get(final, field)))
            if key not in by_value and not any(w["code"] == code and w["field"] == field for w in ws):
                continue  # nobody wrote it
            if key in replaced and key not in chosen:
                w = replaced[key]
                failures.append(f"{code} {field}: the final value {get(final, field)!r} was seen "
                                f"and replaced by {w['who']} ({w['value']!r}) and no person chose it")
            elif key not in by_value and key not in winners and key not in chosen:
                failures.append(f"{code} {field}: the final value {get(final, field)!r} is no "
                                f"write's and no decision's")
    return len(ws), len(notes), len(kept)


def check(codes):
    cen_codes = {r["code"] for r in json.loads(central("list", "--json").stdout)}
    for n in NODES:
        for code in sorted(cen_codes):
            c = json.loads(central("show", code, "--json").stdout)
            d = state_of(n, code)
            for k in ("version", "sync", "verdict", "late_by_s", "supplement_requests"):
                c.pop(k, None), d.pop(k, None)
            if c != d:
                failures.append(f"{n} {code} differs from central")
        st = json.loads(node(n, "status", "--json").stdout)
        if st["pending_ops"] or st["open_conflicts"]:
            failures.append(f"{n}: {st['pending_ops']} pending, {st['open_conflicts']} open")
        v = node(n, "verify", ok=(0, 65))
        if v.returncode:
            failures.append(f"{n} verify: {v.stderr.strip()}")
    db = sqlite3.connect(f"file:{work}/central.db?mode=ro", uri=True, timeout=20)
    rows, distinct = db.execute("SELECT count(*), count(DISTINCT op_id) FROM feed").fetchone()
    if rows != distinct:
        failures.append(f"an op was applied twice: {rows} feed rows, {distinct} ops")
    nw, nd, nk = oracle(codes)
    print(f"oracle: {nw} writes, {nd} recorded automatic decisions, {nk} values kept by merge "
          f"ops, {len(chosen)} person choices; {stats}")


def main():
    print(f"seed {SEED}, {ROUNDS} rounds{', contention' if CONTENTION else ''}, work {work}")
    proxies = setup()
    codes = sorted(r["code"] for r in json.loads(central("list", "--json").stdout))
    for _ in range(ROUNDS):
        who = rng.choice(["n1", "n2", "tinh", "n1", "n2"])
        r = rng.random()
        if who != "tinh" and r < 0.3:
            fault_round(who, proxies[who], codes)
        elif who != "tinh" and r < 0.55:
            node(who, "sync", ok=(0, 75))
        else:
            write(who, codes)
    for n in NODES:
        ctl(proxies[n], "pass")
    settle()
    check(codes)


try:
    main()
finally:
    for p in procs + ([cen["proc"]] if cen["proc"] else []):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait()
    if failures:
        print(f"seed {SEED}: {len(failures)} failures", *failures[:30], sep="\n  ")
        print(f"work kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
