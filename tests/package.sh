#!/usr/bin/env bash
# tests/package.sh: builds the .deb (scripts/package), installs it with apt-get, checks
# what an operator would (--version, the users, man pages, completions, and that
# `systemd-analyze verify` finds nothing to say about the installed units), then purges
# it and checks it is gone. Needs root; the last step of scripts/test (issue 17).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "tests/package.sh: needs root (DOSSYNC_SKIP_PACKAGE=1 skips it)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' dossync 2>/dev/null | grep -q 'install ok installed'; then
	echo "tests/package.sh: the dossync package is already installed here; not touching it" >&2
	exit 1
fi

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
export DEBIAN_FRONTEND=noninteractive
new_users=()
for u in dossync dossync-central; do getent passwd "$u" >/dev/null || new_users+=("$u"); done
installed=0
out=$(mktemp)
cleanup() {
	if [ "$installed" = 1 ]; then apt-get purge -y -qq dossync >/dev/null 2>&1 || true; fi
	for u in "${new_users[@]:-}"; do
		[ -n "$u" ] && getent passwd "$u" >/dev/null && deluser --system --quiet "$u" >/dev/null 2>&1
	done
	rm -f "$out"
}
trap cleanup EXIT

deb=$(scripts/package | tail -n 1)
version=$(dpkg-deb -f "$deb" Version)
apt-get install -y -qq "$deb" >/dev/null
installed=1
ok "installed $deb"

for prog in dossync dossync-central; do
	got=$("$prog" --version) || fail "$prog --version exits $?"
	[ "$got" = "$prog $version" ] && ok "$got" || fail "$prog --version: '$got', want '$prog $version'"
	[ "$(command -v "$prog")" = "/usr/bin/$prog" ] || fail "$prog is not /usr/bin/$prog"
	getent passwd "$prog" >/dev/null && ok "system user $prog" || fail "no system user $prog"
	bash -n "/usr/share/bash-completion/completions/$prog" && ok "completion for $prog" ||
		fail "completion for $prog missing or broken"
done
if command -v man >/dev/null; then
	man -w dossync >/dev/null && man -w 8 dossync-central >/dev/null && ok "man -w finds both pages" ||
		fail "man -w does not find dossync(1) and dossync-central(8)"
else
	[ -f /usr/share/man/man1/dossync.1 ] && [ -f /usr/share/man/man8/dossync-central.8 ] &&
		ok "man pages in place (no man here)" || fail "man pages missing"
fi
[ -f /usr/share/doc/dossync/OPERATIONS.md ] && ok "docs" || fail "docs missing"
# the installed agent finds the installed calendar: a create without due_at gets one
agent_dir=$(mktemp -d)
/usr/bin/dossync -d "$agent_dir" init --office 000.00.12.H22 --central http://127.0.0.1:9 \
	--node pkgtest >/dev/null && printf '%s' '{"procedure":{"code":"1.001193","name":"Đăng ký khai sinh"},"applicant":{"name":"Phạm Ngọc Giang"},"received_at":"2026-11-30T08:15:00+07:00"}' |
	/usr/bin/dossync -d "$agent_dir" create - >/dev/null &&
	/usr/bin/dossync -d "$agent_dir" list --json | grep -q '"due_at"' &&
	ok "the installed calendar computes a due date" ||
	fail "create without due_at failed with the installed data (/usr/share/dossync)"
rm -rf "$agent_dir"

units=(/lib/systemd/system/dossync.service /lib/systemd/system/dossync-central.service)
if command -v systemd-analyze >/dev/null; then
	# verify exits 0 on an unknown key or a missing binary too: any line it prints fails.
	if systemd-analyze verify "${units[@]}" >"$out" 2>&1 && [ ! -s "$out" ]; then
		ok "systemd-analyze verify: both units clean"
	else
		fail "systemd-analyze verify: $(cat "$out")"
	fi
	grep -q "^ExecStart=/usr/bin/dossync daemon" "${units[0]}" || fail "dossync.service runs no /usr/bin/dossync"
else
	echo "SKIPPED: systemd-analyze verify (systemd-analyze is not installed; scripts/deps installs systemd)"
fi

apt-get purge -y -qq dossync >/dev/null
installed=0
for f in /usr/bin/dossync /usr/bin/dossync-central "${units[@]}" /usr/share/man/man1/dossync.1 \
	/usr/share/bash-completion/completions/dossync /usr/share/dossync/calendar.json; do
	[ ! -e "$f" ] || fail "$f is still there after purge"
done
dpkg-query -W dossync >/dev/null 2>&1 && fail "dpkg still knows the package" || ok "purged"
[ "$fails" = 0 ] || { echo "tests/package.sh: $fails failed" >&2; exit 1; }
echo "tests/package.sh: all passed"
