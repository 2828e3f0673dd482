#!/usr/bin/env bash
# run.sh BIN NAME SECONDS SEED_DIR WORK_DIR: runs one libFuzzer harness for SECONDS over
# its seed corpus copied into WORK_DIR/corpus (new inputs land there, never in the
# repository; DOSSYNC_FUZZ_KEEP=1 keeps what an earlier run found), crashes in
# WORK_DIR/crashes/, and prints the executions it made (kept in WORK_DIR/summary too).
# Mutations splice in the tokens of dossync.dict beside this script.
set -euo pipefail
bin=$1 name=$2 seconds=$3 seeds=$4 work=$5
[ "${DOSSYNC_FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/crashes"
if [ -d "$seeds" ]; then cp "$seeds"/* "$work/corpus/"; fi
dict="$(dirname "$0")/dossync.dict"
log="$work/log"
rc=0
"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
	-dict="$dict" -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" \
	>"$log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
corpus=$(find "$work/corpus" -type f | wc -l)
echo "fuzz $name: ${execs:-?} executions in $seconds s, corpus $corpus inputs (exit $rc)" |
	tee "$work/summary"
if [ "$rc" != 0 ]; then
	grep -v '^#[0-9]' "$log" | tail -n 60
	echo "fuzz $name: the crashing input is in $work/crashes/ (full log: $log)"
	ls -l "$work/crashes/"
fi
exit "$rc"
