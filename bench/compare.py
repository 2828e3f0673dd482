#!/usr/bin/env python3
"""bench/compare.py R N CORES: the table of `bench/run --compare` from its measurements in
R (before_* and after_*.json: the sync of N on loopback and on the slow link, the updates
after it, the history catch-up, the clerk beside the sync, central's 20-op load,
callgrind, the big sync), printed and written to R/compare.json with the load average of
each figure."""
import json
import os
import sys

R, N, CORES = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def load(name):
    p = os.path.join(R, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None


def sync_figures(d):
    out, wire = d["out"], d["wire"]
    return {"wall_s": d["wall_s"], "agent_cpu_s": d["cpu_s"], "central_cpu_s": d["central_cpu_s"],
            "central_cpu_ms_per_op": 1000 * d["central_cpu_s"] / N,
            "bytes_up": wire.get("bytes_up"), "bytes_down": wire.get("bytes_down"),
            "requests": out.get("requests"), "pulled": out.get("pulled"),
            "echo_taken": out.get("echo_taken", 0), "peak_rss_kb": d["peak_rss_kb"],
            "load": [d["load_start"], d["load_end"]]}


def load_figures(d):
    o = d["out"]
    return {"ops_per_s": o["ops_per_s"], "p50_ms": o["p50_ms"], "p99_ms": o["p99_ms"],
            "central_cpu_ms_per_op": 1000 * d["central_cpu_s"] / o["applied"],
            "applied": o["applied"], "load": [d["load_start"], d["load_end"]]}


def clerk_figures(c, s):
    return {"p50_ms": c["wait_p50_ms"], "p99_ms": c["wait_p99_ms"], "max_ms": c["wait_max_ms"],
            "due": c.get("due"), "made": c["changes"], "sync_wall_s": s["wall_s"],
            "peak_rss_kb": s["peak_rss_kb"], "load": [s["load_start"], s["load_end"]]}


def catchup_figures(d):
    o = d["out"]
    return {"per_s": o["per_s"], "seconds": o["seconds"], "cpu_s": o["cpu_s"],
            "cpu_per_s": o["dossiers"] / o["cpu_s"] if o["cpu_s"] else None,
            "peak_kb": o["peak_kb"], "load": [d["load_start"], d["load_end"]]}


res = {"n": N, "cores": CORES}
for b in ("before", "after"):
    f = {}
    for name in ("sync", "slow", "updates"):
        if load(b + "_" + name):
            f[name] = sync_figures(load(b + "_" + name))
    if load(b + "_catchup"):
        f["catchup"] = catchup_figures(load(b + "_catchup"))
    for name in ("clerk", "big_sync"):
        if load(b + "_" + name) and load(b + "_" + name + "_clerk"):
            f[name] = clerk_figures(load(b + "_" + name + "_clerk"), load(b + "_" + name))
    if load(b + "_load20"):
        f["load20"] = load_figures(load(b + "_load20"))
    cg = load(b + "_cg20")
    if cg:
        f["cg20_instructions_per_op"] = cg["per_op"]
    res[b] = f
json.dump(res, open(os.path.join(R, "compare.json"), "w"), indent=1)

rows = [("sync of %d: wall s" % N, "sync", "wall_s", "%.1f"),
        ("  agent CPU s", "sync", "agent_cpu_s", "%.2f"),
        ("  central CPU s", "sync", "central_cpu_s", "%.2f"),
        ("  central CPU ms per op", "sync", "central_cpu_ms_per_op", "%.3f"),
        ("  bytes up (wire)", "sync", "bytes_up", "%d"),
        ("  bytes down (wire)", "sync", "bytes_down", "%d"),
        ("  requests", "sync", "requests", "%d"),
        ("  changes pulled / taken from receipts", "sync", None, None),
        ("  peak RSS KiB", "sync", "peak_rss_kb", "%d"),
        ("  load average start-end", "sync", "load", None),
        ("the same, 25 ms each way, 1 MB/s: wall s", "slow", "wall_s", "%.1f"),
        ("  agent CPU s", "slow", "agent_cpu_s", "%.2f"),
        ("  central CPU s", "slow", "central_cpu_s", "%.2f"),
        ("  requests", "slow", "requests", "%d"),
        ("  load average start-end", "slow", "load", None),
        ("4 fields in BENCH_UPDATES dossiers: bytes up", "updates", "bytes_up", "%d"),
        ("  bytes down", "updates", "bytes_down", "%d"),
        ("  up + down", "updates", "both", None),
        ("history catch-up: dossiers/s", "catchup", "per_s", "%.0f"),
        ("  CPU s (dossiers per CPU second)", "catchup", "cpu", None),
        ("  peak RSS KiB", "catchup", "peak_kb", "%d"),
        ("  load average start-end", "catchup", "load", None),
        ("clerk beside the sync: lock wait p99 ms", "clerk", "p99_ms", "%.0f"),
        ("  p50 / max ms; due / made", "clerk", "clerk", None),
        ("  load average start-end", "clerk", "load", None),
        ("central 20-op load: applied ops/s", "load20", "ops_per_s", "%.0f"),
        ("  p50 / p99 ms", "load20", None, None),
        ("  central CPU ms per op", "load20", "central_cpu_ms_per_op", "%.3f"),
        ("  load average start-end", "load20", "load", None),
        ("big sync: agent peak RSS KiB", "big_sync", "peak_rss_kb", "%d"),
        ("  wall s", "big_sync", "sync_wall_s", "%.1f"),
        ("  clerk lock wait p99 ms", "big_sync", "p99_ms", "%.0f"),
        ("  load average start-end", "big_sync", "load", None)]


def cell(f, sect, key, fmt):
    s = f.get(sect)
    if not s:
        return "-"
    if key == "load":
        return "%.1f-%.1f" % tuple(s["load"])
    if key is None and sect == "sync":
        return "%s / %s" % (s["pulled"], s["echo_taken"])
    if key == "both":
        return "%d" % (s["bytes_up"] + s["bytes_down"])
    if key == "cpu":
        return "%.2f (%.0f /s)" % (s["cpu_s"], s["cpu_per_s"] or 0)
    if key == "clerk":
        return "%.0f / %.0f; %s / %s" % (s["p50_ms"], s["max_ms"], s["due"], s["made"])
    if key is None:
        return "%.0f / %.0f" % (s["p50_ms"], s["p99_ms"])
    return fmt % s[key] if s.get(key) is not None else "-"


print("%-42s %18s %18s" % ("figure", "before", "after"))
for label, sect, key, fmt in rows:
    print("%-42s %18s %18s" % (label, cell(res["before"], sect, key, fmt),
                               cell(res["after"], sect, key, fmt)))
for b in ("before", "after"):
    if "cg20_instructions_per_op" in res[b]:
        print("%-42s %18s" % ("callgrind, 20-op batches: instructions/op " + b,
                              "{:,.0f}".format(res[b]["cg20_instructions_per_op"])))
