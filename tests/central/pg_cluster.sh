#!/usr/bin/env bash
# pg_cluster.sh start|stop STATE: a private PostgreSQL cluster for the tests on central's
# PostgreSQL store (the CTest fixture "pg"). start: initdb in a new temporary folder (as the
# postgres user when run as root: PostgreSQL refuses to run as root), a free port on
# 127.0.0.1, pg_ctl start; writes STATE/port and STATE/dir. stop: pg_ctl stop and removes
# the folder and STATE, so nothing is left behind. The tests create one database each
# (lib.sh) as the superuser "postgres", trusted on 127.0.0.1 only.
set -euo pipefail

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: pg_cluster.sh start|stop STATE" >&2; exit 64; }

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "pg_cluster.sh: no initdb (scripts/deps installs postgresql)" >&2; exit 1; }

as_owner() { # runs a command as the cluster's owner
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
	local dir port i
	rm -rf "$state"
	mkdir -p "$state"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/dossync-pg.XXXXXX")
	echo "$dir" >"$state/dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	for i in 1 2 3; do
		port=$(free_port)
		# fsync off: a test cluster that is thrown away needs no crash safety
		if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" \
			start >/dev/null; then
			echo "$port" >"$state/port"
			echo "PostgreSQL test cluster on 127.0.0.1:$port in $dir"
			return 0
		fi
	done
	tail -20 "$dir/server.log" >&2
	exit 1
}

stop() {
	local dir
	[ -f "$state/dir" ] || { rm -rf "$state"; return 0; }
	dir=$(cat "$state/dir")
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
			{ echo "pg_cluster.sh: pg_ctl stop failed" >&2; exit 1; }
	fi
	rm -rf "$dir" "$state"
	echo "PostgreSQL test cluster stopped"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: pg_cluster.sh start|stop STATE" >&2; exit 64 ;;
esac
