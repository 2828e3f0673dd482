#!/usr/bin/env python3
"""hostile_central.py PORTFILE PAGEFILE: a central that lies, for the agent's trust tests.

It listens on 127.0.0.1 (a free port, written to PORTFILE) and answers every
GET /v1/pull with the page in PAGEFILE, read afresh on each request:
{"changes": [{"cursor", "code", "version", "op_id", "node", "state"}...], "next", "more"}
laid out by column (sync/cols.c) and sent as a zlib body, as docs/PROTOCOL.md says.
Each request's path is appended to PAGEFILE.log. Anything else gets 404.
"""
import json
import os
import sys
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer


def flatten(obj, path, out):
    """The leaves of one record in sorted key order: non-empty objects recurse."""
    for k in sorted(obj):
        v = obj[k]
        if isinstance(v, dict) and v:
            flatten(v, path + [k], out)
        else:
            out.append((path + [k], v))


def cols(records):
    """The column document of sync_cols_encode: {"n", "cols": [{"p", "r", "v"}]}."""
    order, byp = [], {}
    for row, rec in enumerate(records):
        leaves = []
        flatten(rec, [], leaves)
        for p, v in leaves:
            key = json.dumps(p)
            if key not in byp:
                byp[key] = {"p": p, "r": [], "v": [], "last": 0}
                order.append(key)
            c = byp[key]
            c["r"].append(row - c["last"])
            c["v"].append(v)
            c["last"] = row
    return {"n": len(records),
            "cols": [{"p": byp[k]["p"], "r": byp[k]["r"], "v": byp[k]["v"]} for k in order]}


def body(doc):
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 9)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with open(PAGEFILE + ".log", "a") as log:
            log.write(self.path + "\n")
        if not self.path.startswith("/v1/pull"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(PAGEFILE) as f:
            page = json.load(f)
        doc = {"changes": cols(page["changes"]), "next": page["next"], "more": page["more"]}
        data = body(doc)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "deflate")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    PORTFILE, PAGEFILE = sys.argv[1], sys.argv[2]
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()
