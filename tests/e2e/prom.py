#!/usr/bin/env python3
"""prom.py: a strict parser of the Prometheus text format (0.0.4) for the tests. Reads an
exposition on stdin and checks what a scraper relies on: every sample belongs to a family
declared by one HELP and one TYPE line before it, a family's samples are together, label
values are quoted, values are numbers, histograms have rising "le" bounds, cumulative
counts, a "+Inf" bucket equal to _count, and a _sum. Prints the samples as JSON
{"name{label=value,...}": number} (labels sorted), or one error line and exits 1."""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(,|$)')


def labels_of(text, where):
    out, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            raise ValueError(f"{where}: bad labels {text!r}")
        out[m.group(1)] = m.group(2)
        pos = m.end()
    return out


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and types.get(base) == "histogram":
            return base
    return name


def check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            g["buckets"].append((float(labels["le"]), value))
        elif sname == name + "_sum":
            g["sum"] = value
        elif sname == name + "_count":
            g["count"] = value
    for g in groups.values():
        les = [b[0] for b in g["buckets"]]
        counts = [b[1] for b in g["buckets"]]
        if les != sorted(les) or not les or les[-1] != float("inf"):
            raise ValueError(f"{name}: buckets not rising to +Inf: {les}")
        if counts != sorted(counts):
            raise ValueError(f"{name}: bucket counts not cumulative: {counts}")
        if g["count"] is None or g["sum"] is None or counts[-1] != g["count"]:
            raise ValueError(f"{name}: +Inf bucket {counts[-1]} != _count {g['count']}")


def parse(lines):
    helps, types, done, samples = {}, {}, set(), {}
    current, fam_samples = None, []
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            table = helps if kind == "HELP" else types
            if name in table or name in done:
                raise ValueError(f"{where}: second {kind} for {name}")
            if kind == "TYPE" and rest not in ("counter", "gauge", "histogram", "summary",
                                               "untyped"):
                raise ValueError(f"{where}: unknown type {rest}")
            table[name] = rest
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError(f"{where}: not a sample: {line!r}")
        name, labels = m.group(1), labels_of(m.group(3) or "", where)
        value = float(m.group(4))
        fam = family_of(name, types)
        if fam not in types or fam not in helps:
            raise ValueError(f"{where}: {name} has no HELP and TYPE before it")
        if fam != current:
            if fam in done:
                raise ValueError(f"{where}: samples of {fam} are not together")
            if current and types[current] == "histogram":
                check_histogram(current, fam_samples)
            if current:
                done.add(current)
            current, fam_samples = fam, []
        if types[fam] == "counter" and value < 0:
            raise ValueError(f"{where}: negative counter {name}")
        fam_samples.append((name, labels, value))
        key = name + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"
        if key in samples:
            raise ValueError(f"{where}: duplicate sample {key}")
        samples[key] = value
    if current and types[current] == "histogram":
        check_histogram(current, fam_samples)
    return samples


def main():
    try:
        samples = parse(sys.stdin.read().split("\n"))
    except ValueError as e:
        print(f"prom.py: {e}")
        sys.exit(1)
    print(json.dumps(samples, sort_keys=True))


if __name__ == "__main__":
    main()
