#!/usr/bin/env python3
"""report.py: turns bench/run's raw measurements into bench/out/results.json, and prints
that file as the table of target vs measured (docs/BENCHMARKS.md).
  report.py RESULTS_DIR N BIG OFFICES UPDATES CHANGES CG_OPS > results.json
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


def fig(rows, key, what, value, unit, target=None, better="low", method="", note="", r=None):
    """One figure; r is the raw measurement it comes from (its load averages, start and
    end, go beside the figure)."""
    met = None
    if target is not None and value is not None:
        met = value <= target if better == "low" else value >= target
    load = None
    if r and "load_start" in r:
        load = [r["load_start"], r["load_end"]]
    rows.append({"key": key, "what": what, "value": value, "unit": unit, "target": target,
                 "better": better, "met": met, "method": method, "note": note, "load": load})


def cpu_note(r, server="central"):
    return f"agent CPU {r['cpu_s']:.2f} s, {server} CPU {r['central_cpu_s']:.2f} s"


def wire(r):
    """Bytes on the wire from dsproxy (headers included) and the agent's body counters."""
    w, o = r.get("wire") or {}, r.get("out") or {}
    return (w.get("bytes_up"), w.get("bytes_down"), o.get("bytes_up"), o.get("bytes_down"),
            o.get("requests"), w.get("connections"))


def sync_rows(rows, key, label, r, wall_target=None, mb_target=None, up_target=None):
    if not r:
        return
    up, down, bup, bdown, req, conns = wire(r)
    fig(rows, key + ".wall", label + ": wall time", r["wall_s"], "s", wall_target,
        note=cpu_note(r), r=r)
    if up is not None:
        fig(rows, key + ".wire_mb", label + ": bytes on the wire, up + down", (up + down) / MB,
            "MB", mb_target, note="dsproxy counts, HTTP headers included", r=r)
        fig(rows, key + ".up_mb", label + ": bytes up (wire)", up / MB, "MB", up_target, r=r)
        fig(rows, key + ".down_mb", label + ": bytes down (wire)", down / MB, "MB", r=r)
    if bup is not None:
        fig(rows, key + ".body_mb", label + ": body bytes up + down (agent counters)",
            (bup + bdown) / MB, "MB", None if up is not None else mb_target, r=r)
    if req is not None:
        fig(rows, key + ".requests", label + ": HTTP requests", req, "", r=r)
    fig(rows, key + ".agent_cpu", label + ": agent CPU", r["cpu_s"], "s", r=r)
    fig(rows, key + ".central_cpu", label + ": central CPU", r["central_cpu_s"], "s", r=r)
    fig(rows, key + ".rss", label + ": agent peak RSS", r["peak_rss_kb"] / 1024, "MiB", r=r)


def journal_rows(rows, d, n, big, changes):
    c = load(d, "changes")
    if c:
        fig(rows, "journal.changes_per_s", "journal: durable changes per second (in-process)",
            c["per_s"], "/s", better="high", note=f"{changes} agent_update calls, "
            f"p50 {c['p50_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms")
    i = load(d, "import")
    if i:
        fig(rows, "journal.import_per_s", f"import: dossiers per second ({n} lines)",
            n / i["wall_s"], "/s", better="high", note=f"CPU {i['cpu_s']:.2f} s", r=i)
    bi = load(d, "big_import")
    if bi:
        fig(rows, "big.import_per_s", f"import: dossiers per second ({big} lines)",
            big / bi["wall_s"], "/s", better="high", note=f"CPU {bi['cpu_s']:.2f} s", r=bi)
        fig(rows, "big.import_rss", f"import of {big}: peak RSS", bi["peak_rss_kb"] / 1024,
            "MiB", r=bi)


def push_rows(rows, d, n, updates):
    push = load(d, "push")
    sync_rows(rows, "push", f"push of {n}", push, 1.0, None, 0.40)
    if push:
        fig(rows, "push.central_ms_per_op", f"push of {n}: central CPU per applied op",
            push["central_cpu_s"] * 1000 / n, "ms", 0.05, r=push)
    p = load(d, "phases")
    if p:
        o = p["out"]
        fig(rows, "push.phase_push", f"push of {n}, push phase alone (bench_agent phases)",
            o["push_s"], "s", r=p)
        fig(rows, "push.phase_pull", f"push of {n}, pull of the echo", o["pull_s"], "s", r=p)
        fig(rows, "push.phase_reconcile", f"push of {n}, reconcile (history comes after)",
            o["reconcile_s"], "s", r=p)
    sync_rows(rows, "updates", f"4 fields in {updates}", load(d, "updates"), None, 0.030)
    sync_rows(rows, "pull", f"pull of {n} into a second PC", load(d, "pull"))
    sync_rows(rows, "slow", f"push of {n} at 25 ms / 1 MB/s", load(d, "slow"), 1.5)


def attach_rows(rows, d):
    """Attachments: throughput and bytes on the wire per byte of file; a resumed upload's
    time to its first new byte on central."""
    for name, label in (("attach", "loopback"), ("attach_slow", "25 ms / 1 MB/s")):
        r = load(d, name)
        if not r:
            continue
        o, w = r.get("out") or {}, r.get("wire") or {}
        fb = o.get("file_bytes") or 0
        fig(rows, name + ".mb_s", f"attachments, {o.get('files_sent')} files ({label}): MB/s",
            fb / MB / r["wall_s"] if r["wall_s"] else None, "MB/s", None, "high",
            note=f"{r['wall_s']:.2f} s wall for {fb} bytes; " + cpu_note(r), r=r)
        if fb and w.get("bytes_up"):
            fig(rows, name + ".overhead", f"attachments ({label}): bytes up per file byte",
                w["bytes_up"] / fb, "x", 1.02, note="dsproxy's count, records and headers "
                "included", r=r)
    r = load(d, "attach_resume")
    if r:
        fig(rows, "attach.resume_ttfb", "a killed 5 MB upload resumed: time to central's "
            "first new byte", r["ttfb_ms"], "ms", note=f"{r['held_before']} bytes held before",
            r=r)


def history_rows(rows, d, n, big):
    h = load(d, "catchup")
    if h:
        o = h["out"]
        fig(rows, "history.per_s", f"history catch-up alone, {o['dossiers']} dossiers: per second",
            o["per_s"], "/s", 5000, "high", note=f"{o['seconds']:.2f} s wall, CPU "
            f"{o['cpu_s']:.2f} s, peak RSS {o['peak_kb'] / 1024:.1f} MiB", r=h)
    s = load(d, "history")
    if s:
        fig(rows, "history.sync_history", f"sync --history after the push of {n}: the "
            "catch-up alone", s["wall_s"], "s", note=cpu_note(s) +
            f", peak RSS {s['peak_rss_kb'] / 1024:.1f} MiB", r=s)
    for name, label in (("clerk", f"sync of {n}"), ("clerk_hist", f"sync --history of {n}"),
                        ("big_sync", f"sync of {big}")):
        c, s = load(d, name + "_clerk"), load(d, name)
        if c and s:
            fig(rows, name + ".lock_p99", f"a clerk's change during the {label}: lock wait p99",
                c["wait_p99_ms"], "ms", 100, note=f"{c.get('due')} due, {c['changes']} made, p50 "
                f"{c['wait_p50_ms']:.0f} ms, max {c['wait_max_ms']:.0f} ms; whole change p99 "
                f"{c['change_p99_ms']:.0f} ms; sync {s['wall_s']:.1f} s", r=s)
    b = load(d, "big_sync")
    if b:
        fig(rows, "big.rss", f"agent peak RSS syncing {big} changes", b["peak_rss_kb"] / 1024,
            "MiB", 32, r=b)
        fig(rows, "big.wall", f"sync of {big}: wall time", b["wall_s"], "s", note=cpu_note(b),
            r=b)
        fd = load(d, "find")
        if fd:
            for what, q in fd["queries"].items():
                fig(rows, "find." + what, f"list --search '{q['text']}' on {fd['dossiers']} "
                    f"dossiers ({q['rows']} rows): p50", q["p50_ms"], "ms", 50,
                    method="bench_agent find: agent_find_list in-process, median of "
                    f"{fd['runs']}", note=f"worst {q['max_ms']:.1f} ms")


def load_rows(rows, d, offices, name, batch, targets):
    ld = load(d, name)
    if not ld:
        return
    o = ld["out"]
    k, lab = "central." + name, f"central, {offices} offices, {batch}-op batches"
    fig(rows, k + ".ops_per_s", lab + ": applied ops per second", o["ops_per_s"], "/s",
        targets[0], "high", note=f"{o['applied']} of {o['ops']} applied, {o['errors']} errors",
        r=ld)
    fig(rows, k + ".p50_ms", lab + ": p50 push latency", o["p50_ms"], "ms", r=ld)
    fig(rows, k + ".p99_ms", lab + ": p99 push latency", o["p99_ms"], "ms", targets[1], r=ld)
    fig(rows, k + ".cpu", lab + ": central CPU", ld["central_cpu_s"], "s",
        note=f"load generator CPU {ld['cpu_s']:.1f} s", r=ld)
    if o["applied"]:
        fig(rows, k + ".ms_per_op", lab + ": central CPU per applied op",
            ld["central_cpu_s"] * 1000 / o["applied"], "ms", 0.05, r=ld)


def central_rows(rows, d, offices, cg_ops):
    load_rows(rows, d, offices, "load", 100, (None, None))
    load_rows(rows, d, offices, "load20", 20, (20000, 200))
    for name in ("cg100", "cg20"):
        c = load(d, name)
        if c:
            fig(rows, "central." + name, f"central instructions per applied op, {c['batch']}-op "
                f"batches (callgrind, 2 offices x {cg_ops})", c["per_op"], "",
                note=f"{c['instructions']:,} instructions for {c['applied']} ops")
    for name, what in (("load_pg1", "one central on PostgreSQL"),
                       ("load_pg2", "two centrals on PostgreSQL")):
        lp = load(d, name)
        if not lp:
            continue
        o = lp["out"]
        key = "central_" + name[5:]
        fig(rows, key + ".ops_per_s", f"{what}, {offices} offices: applied ops per second",
            o["ops_per_s"], "/s", better="high",
            note=f"{o['applied']} of {o['ops']} applied, {o['errors']} errors", r=lp)
        fig(rows, key + ".p50_ms", f"{what}, {offices} offices: p50 push latency",
            o["p50_ms"], "ms", r=lp)
        fig(rows, key + ".p99_ms", f"{what}, {offices} offices: p99 push latency",
            o["p99_ms"], "ms", r=lp)
        fig(rows, key + ".cpu_ms_per_op", f"{what}: central CPU per applied op",
            1000 * lp["central_cpu_s"] / max(o["applied"], 1), "ms", r=lp)


def baseline_rows(rows, d, n):
    push, slow, z = load(d, "push"), load(d, "slow"), load(d, "compress")
    up = (push or {}).get("wire", {}).get("bytes_up")
    if z:
        for src, what in (("dsgen_lines", "dsgen's JSON lines"), ("store_lines",
                          "the store's dossiers as JSON lines (with codes)")):
            for alg, lab in (("raw", "raw"), ("gzip9", "gzip -9"), ("xz9e", "xz -9e")):
                note = f"dossync push up: {up / MB:.3f} MB" if up and alg != "raw" else ""
                fig(rows, f"baseline.{src}.{alg}", f"{lab} of {what}, {n} dossiers",
                    z[src][alg] / MB, "MB", note=note)
    a, c = load(d, "git_add"), load(d, "git_commit")
    if a and c:
        fig(rows, "git.commit", f"git add + commit of {n} files: wall time",
            a["wall_s"] + c["wall_s"], "s", note=f"CPU {a['cpu_s'] + c['cpu_s']:.2f} s", r=c)
    for name, ours, label in (("git_push", push, "loopback"), ("git_slow", slow,
                              "25 ms / 1 MB/s")):
        g = load(d, name)
        if not g:
            continue
        gup, gdown = g["wire"]["bytes_up"], g["wire"]["bytes_down"]
        fig(rows, name + ".wall", f"git push of {n} files, {label}: wall time", g["wall_s"],
            "s", note=cpu_note(g, "server").replace("agent", "git client"), r=g)
        fig(rows, name + ".wire_mb", f"git push of {n} files, {label}: bytes up + down",
            (gup + gdown) / MB, "MB", note=f"up {gup / MB:.3f}, down {gdown / MB:.3f}", r=g)
        if ours:
            w = ours["wire"]
            fig(rows, name + ".bytes_ratio", f"dossync / git, {label}: bytes up + down",
                (w["bytes_up"] + w["bytes_down"]) / (gup + gdown), "x", r=ours)
            fig(rows, name + ".time_ratio", f"dossync sync / git push, {label}: wall time",
                ours["wall_s"] / g["wall_s"], "x", r=ours)
            fig(rows, name + ".cpu_ratio", f"dossync sync / git push, {label}: CPU, client + "
                "server", (ours["cpu_s"] + ours["central_cpu_s"]) / (g["cpu_s"] +
                g["central_cpu_s"]), "x", r=ours)


def sizes_rows(rows, d):
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


def build(d, n, big, offices, updates, changes, cg_ops):
    rows = []
    journal_rows(rows, d, n, big, changes)
    push_rows(rows, d, n, updates)
    attach_rows(rows, d)
    history_rows(rows, d, n, big)
    central_rows(rows, d, offices, cg_ops)
    baseline_rows(rows, d, n)
    sizes_rows(rows, d)
    return {"machine": machine(), "params": {"n": n, "big": big, "offices": offices,
            "updates": updates, "changes": changes, "cg_ops": cg_ops}, "figures": rows,
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
    print(f"{'figure':<72} {'measured':>12}      {'target':>10} {'':6} {'load':>9}  note")
    for r in doc["figures"]:
        t = "-" if r["target"] is None else ("<= " if r["better"] == "low" else ">= ") + fmt(r["target"])
        mark = {True: "ok", False: "MISSED", None: ""}[r["met"]]
        ld = "" if not r.get("load") else f"{r['load'][0]:.1f}-{r['load'][1]:.1f}"
        print(f"{r['what']:<72} {fmt(r['value']):>12} {r['unit']:<4} {t:>10} {mark:<6} "
              f"{ld:>9}  {r['note']}")


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2])
    else:
        d, n, big, offices, updates, changes, cg_ops = sys.argv[1:8]
        print(json.dumps(build(d, int(n), int(big), int(offices), int(updates), int(changes),
                               int(cg_ops)), indent=1, ensure_ascii=False))
