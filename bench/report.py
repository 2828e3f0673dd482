#!/usr/bin/env python3
"""report.py: turns bench/run's raw measurements into bench/out/results.json, and prints
that file as the table of target vs measured (docs/BENCHMARKS.md).
  report.py RESULTS_DIR N BIG OFFICES UPDATES CHANGES > results.json
  report.py --table results.json"""
import json
import os
import platform
import subprocess
import sys
import time

MB = 1e6


def load(d, name):
    p = os.path.join(d, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None


def machine():
    model = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) * 1024
    load1 = os.getloadavg()[0]
    return {"nproc": os.cpu_count(), "memory_bytes": mem, "cpu": model,
            "kernel": platform.release(), "load_avg_1min_at_end": round(load1, 2),
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def fig(rows, key, what, value, unit, target=None, better="low", method="", note=""):
    met = None
    if target is not None and value is not None:
        met = value <= target if better == "low" else value >= target
    rows.append({"key": key, "what": what, "value": value, "unit": unit, "target": target,
                 "better": better, "met": met, "method": method, "note": note})


def wire(r):
    """Bytes on the wire from dsproxy (headers included) and the agent's body counters."""
    w, o = r.get("wire") or {}, r.get("out") or {}
    return (w.get("bytes_up"), w.get("bytes_down"), o.get("bytes_up"), o.get("bytes_down"),
            o.get("requests"), w.get("connections"))


def sync_rows(rows, key, label, r, wall_target=None, mb_target=None):
    if not r:
        return
    up, down, bup, bdown, req, conns = wire(r)
    fig(rows, key + ".wall", label + ": wall time", r["wall_s"], "s", wall_target)
    if up is not None:
        fig(rows, key + ".wire_mb", label + ": bytes on the wire, up + down", (up + down) / MB,
            "MB", mb_target, note="dsproxy counts, HTTP headers included")
        fig(rows, key + ".up_mb", label + ": bytes up (wire)", up / MB, "MB")
        fig(rows, key + ".down_mb", label + ": bytes down (wire)", down / MB, "MB")
    if bup is not None:
        fig(rows, key + ".body_mb", label + ": body bytes up + down (agent counters)",
            (bup + bdown) / MB, "MB", None if up is not None else mb_target)
    if req is not None:
        fig(rows, key + ".requests", label + ": HTTP requests", req, "")
    fig(rows, key + ".agent_cpu", label + ": agent CPU", r["cpu_s"], "s")
    fig(rows, key + ".central_cpu", label + ": central CPU", r["central_cpu_s"], "s")
    fig(rows, key + ".rss", label + ": agent peak RSS", r["peak_rss_kb"] / 1024, "MiB")


def build(d, n, big, offices, updates, changes):
    rows = []
    c = load(d, "changes")
    if c:
        fig(rows, "journal.changes_per_s", "journal: durable changes per second (in-process)",
            c["per_s"], "/s", better="high", note=f"{changes} agent_update calls, "
            f"p50 {c['p50_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms")
    i = load(d, "import")
    if i:
        fig(rows, "journal.import_per_s", f"import: dossiers per second ({n} lines)",
            n / i["wall_s"], "/s", better="high")
    sync_rows(rows, "push", f"push of {n}", load(d, "push"), 0.5, 0.48)
    p = load(d, "phases")
    if p:
        o = p["out"]
        fig(rows, "push.phase_push", f"push of {n}, push phase alone (bench_agent phases)",
            o["push_s"], "s", 0.5)
        fig(rows, "push.phase_pull", f"push of {n}, pull of the echo", o["pull_s"], "s")
        fig(rows, "push.phase_reconcile", f"push of {n}, reconcile + history catch-up",
            o["reconcile_s"], "s")
    sync_rows(rows, "updates", f"4 fields in {updates}", load(d, "updates"), None, 0.04)
    sync_rows(rows, "pull", f"pull of {n} into a second PC", load(d, "pull"))
    sync_rows(rows, "slow", f"push of {n} at 25 ms / 1 MB/s", load(d, "slow"), 1.0)
    b = load(d, "big_sync")
    if b:
        fig(rows, "big.rss", f"agent peak RSS syncing {big} changes", b["peak_rss_kb"] / 1024,
            "MiB", 32)
        fig(rows, "big.wall", f"sync of {big}: wall time", b["wall_s"], "s")
    bi = load(d, "big_import")
    if bi:
        fig(rows, "big.import_per_s", f"import: dossiers per second ({big} lines)",
            big / bi["wall_s"], "/s", better="high")
        fig(rows, "big.import_rss", f"import of {big}: peak RSS", bi["peak_rss_kb"] / 1024,
            "MiB")
    ld = load(d, "load")
    if ld:
        o = ld["out"]
        fig(rows, "central.ops_per_s", f"central, {offices} offices: applied ops per second",
            o["ops_per_s"], "/s", 5000, "high",
            note=f"{o['applied']} of {o['ops']} applied, {o['errors']} errors")
        fig(rows, "central.p50_ms", f"central, {offices} offices: p50 push latency",
            o["p50_ms"], "ms")
        fig(rows, "central.p99_ms", f"central, {offices} offices: p99 push latency",
            o["p99_ms"], "ms", 200)
        fig(rows, "central.cpu", f"central, {offices} offices: central CPU",
            ld["central_cpu_s"], "s")
    for name, what in (("load_pg1", "one central on PostgreSQL"),
                       ("load_pg2", "two centrals on PostgreSQL")):
        lp = load(d, name)
        if not lp:
            continue
        o = lp["out"]
        key = "central_" + name[5:]
        fig(rows, key + ".ops_per_s", f"{what}, {offices} offices: applied ops per second",
            o["ops_per_s"], "/s", better="high",
            note=f"{o['applied']} of {o['ops']} applied, {o['errors']} errors")
        fig(rows, key + ".p50_ms", f"{what}, {offices} offices: p50 push latency",
            o["p50_ms"], "ms")
        fig(rows, key + ".p99_ms", f"{what}, {offices} offices: p99 push latency",
            o["p99_ms"], "ms")
        fig(rows, key + ".cpu_ms_per_op", f"{what}: central CPU per applied op",
            1000 * lp["central_cpu_s"] / max(o["applied"], 1), "ms")
    z = load(d, "sizes")
    if z and z["journal_entries"]:
        per = 10000 / z["journal_entries"]
        j = z["journal_table_bytes"] * per
        h = z["history_bytes"] * per
        fig(rows, "size.journal", "journal table per 10,000 changes (dbstat)", j / MB, "MB")
        fig(rows, "size.journal_idx", "journal indexes per 10,000 changes (dbstat)",
            z["journal_index_bytes"] * per / MB, "MB")
        fig(rows, "size.history", "history.git per 10,000 changes", h / MB, "MB")
        fig(rows, "size.ratio", "history.git / journal table", h / j if j else None, "x", 2.0)
    return {"machine": machine(), "params": {"n": n, "big": big, "offices": offices,
            "updates": updates, "changes": changes}, "figures": rows,
            "raw": {f[:-5]: load(d, f[:-5]) for f in sorted(os.listdir(d))}}


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}"


def table(path):
    doc = json.load(open(path))
    m = doc["machine"]
    print(f"dossync benchmarks, {m['when']}: {m['nproc']} cores, "
          f"{m['memory_bytes'] / 2**30:.1f} GiB, {m['cpu']}, load {m['load_avg_1min_at_end']}")
    print(f"{'figure':<68} {'measured':>12}      {'target':>10}")
    for r in doc["figures"]:
        t = "-" if r["target"] is None else ("<= " if r["better"] == "low" else ">= ") + fmt(r["target"])
        mark = {True: "ok", False: "MISSED", None: ""}[r["met"]]
        print(f"{r['what']:<68} {fmt(r['value']):>12} {r['unit']:<4} {t:>10} {mark}")


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2])
    else:
        d, n, big, offices, updates, changes = sys.argv[1:7]
        print(json.dumps(build(d, int(n), int(big), int(offices), int(updates), int(changes)),
                         indent=1, ensure_ascii=False))
