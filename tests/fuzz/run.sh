#!/usr/bin/env bash
# run.sh BIN NAME SECONDS SEED_DIR WORK_DIR: runs one libFuzzer harness for SECONDS on a
# fresh copy of its seed corpus (new inputs go to WORK_DIR/corpus, never into the
# repository), crashes to WORK_DIR/crashes/, and prints the executions it made.
set -euo pipefail
bin=$1 name=$2 seconds=$3 seeds=$4 work=$5
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/crashes"
[ -d "$seeds" ] && cp "$seeds"/* "$work/corpus/" 2>/dev/null || true
log="$work/log"
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$bin" -max_total_time="$seconds" -timeout=25 \
	-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$work/crashes/" "$work/corpus" >"$log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
corpus=$(find "$work/corpus" -type f | wc -l)
echo "fuzz $name: ${execs:-?} executions in $seconds s, corpus $corpus inputs (exit $rc)"
if [ "$rc" != 0 ]; then
	tail -n 60 "$log"
	echo "fuzz $name: crash inputs in $work/crashes/:"
	ls -l "$work/crashes/"
fi
exit "$rc"
