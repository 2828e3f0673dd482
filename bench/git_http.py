#!/usr/bin/env python3
"""git_http.py: a small smart-HTTP git host for bench/run's git baseline: stock
`git http-backend` run as a CGI program (one process a request) behind python3's
http.server, HTTP/1.1 with keep-alive, on 127.0.0.1.
  git_http.py ROOT PORTFILE
Serves the bare repositories under ROOT at http://127.0.0.1:PORT/git/NAME.git (pushes are
allowed by each repository's http.receivepack), binds a free port and writes it to
PORTFILE. Stops on SIGTERM. The CGI program's own CPU is counted in this process's
children's CPU (/proc/PID/stat cutime, cstime)."""
import http.server
import os
import signal
import subprocess
import sys

ROOT = ""


def read_body(h):
    """The request body: Content-Length bytes, or the chunks of a chunked body."""
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(h.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(h.rfile.read(size))
            h.rfile.readline()
    return h.rfile.read(int(h.headers.get("Content-Length") or 0))


def cgi_env(h, body):
    path, _, query = h.path.partition("?")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": ROOT,
           "GIT_HTTP_EXPORT_ALL": "1", "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": h.command, "PATH_INFO": path[len("/git"):],
           "QUERY_STRING": query, "REMOTE_ADDR": h.client_address[0],
           "SERVER_PROTOCOL": h.request_version, "CONTENT_LENGTH": str(len(body))}
    if h.headers.get("Content-Type"):
        env["CONTENT_TYPE"] = h.headers["Content-Type"]
    for k, v in h.headers.items():
        if k.lower() not in ("content-type", "content-length", "transfer-encoding"):
            env["HTTP_" + k.upper().replace("-", "_")] = v
    return env


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def run(self):
        body = read_body(self)
        if not self.path.startswith("/git/"):
            self.send_error(404)
            return
        out = subprocess.run(["git", "http-backend"], input=body, env=cgi_env(self, body),
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, data = out.partition(b"\r\n\r\n")
        if not _:
            head, _, data = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = run
    do_POST = run

    def log_message(self, *args):
        pass


def main():
    global ROOT
    ROOT = os.path.abspath(sys.argv[1])
    portfile = sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
