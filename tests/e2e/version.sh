#!/usr/bin/env bash
# version.sh: every binary answers --version with "NAME VERSION" on stdout and exit 0, the
# version being CMake's project(VERSION) (passed as $2), and dossync takes it after its
# global options too. Usage: version.sh BIN VERSION
BIN=$1
WANT=$2
. "$(dirname "$0")/lib.sh"

for prog in dossync dossync-central dsgen dsproxy dswire; do
	expect 0 "$prog --version" -- "$BIN/$prog" --version
	same "$prog --version prints" "$(cat "$WORK/out")" "$prog $WANT"
done
expect 0 "dossync -d DIR --version" -- "$BIN/dossync" -d "$WORK/none" --version
same "after a global option" "$(cat "$WORK/out")" "dossync $WANT"
[ ! -e "$WORK/none" ] && pass || fail "--version created the data directory"
expect 0 "dossync-central --db F --version" -- "$BIN/dossync-central" --db "$WORK/c.db" --version
same "central after --db" "$(cat "$WORK/out")" "dossync-central $WANT"
[ ! -e "$WORK/c.db" ] && pass || fail "--version created the central database"
expect 0 "help mentions it" -- "$BIN/dossync" --help
expect_out "--version"
expect 0 "central help mentions it" -- "$BIN/dossync-central" --help
expect_out "--version"
finish
