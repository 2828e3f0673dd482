# attach_lib.sh: what the attachment scripts share (source it after lib.sh and
# fault_lib.sh): central serving attachments on a port that survives restarts, a dossier
# to attach to, scans of random bytes, syncing until the backlog is gone, and where
# central keeps a file.
AT_FILES_OPTS=()

# at_central_start DB [SERVE-OPTION...]: central with its files beside DB (the options
# are kept for restarts); the first start picks the port (FL_PORT), later ones reuse it.
at_central_start() {
	local db=$1 pf="$WORK/central.port"
	shift
	[ $# -gt 0 ] && AT_FILES_OPTS=("$@")
	rm -f "$pf"
	"$DSC" --db "$db" serve --listen "127.0.0.1:$FL_PORT" --port-file "$pf" \
		"${AT_FILES_OPTS[@]}" 2>>"$WORK/central.log" &
	FL_CENTRAL_PID=$!
	PIDS+=("$FL_CENTRAL_PID")
	poll_until 10 up_or_gone "$pf" "$FL_CENTRAL_PID"
	[ -s "$pf" ] || { echo "FATAL: central did not start" >&2; tail -5 "$WORK/central.log" >&2; exit 1; }
	FL_PORT=$(cat "$pf")
	FL_URL="http://127.0.0.1:$FL_PORT"
}

# at_dossier DIR: a new dossier with one component c1; prints its code.
at_dossier() {
	printf '%s' '{"procedure": {"code": "1.001193", "name": "Đăng ký khai sinh"},
	 "applicant": {"name": "Phạm Ngọc Giang"}, "received_at": "2026-11-30T08:15:00+07:00",
	 "due_at": "2026-12-02T17:00:00+07:00", "components": [{"id": "c1", "name": "CCCD"}]}' |
		"$DS" -d "$1" create -
}

# at_scan PATH BYTES: a file of random bytes (a scan compresses no further).
at_scan() { head -c "$2" /dev/urandom >"$1"; }

# at_sha PATH: its SHA-256.
at_sha() { sha256sum "$1" | cut -c1-64; }

# at_backlog DIR [FIELD]: a member of status's attachments (files by default).
at_backlog() { "$DS" -d "$1" status --json | jget "attachments.${2:-files}"; }

# at_central_file DIR SHA: the SHA-256 of the file central keeps as SHA under DIR (its
# files folder), "none" when it keeps none.
at_central_file() {
	local p="$1/${2:0:2}/$2"
	[ -f "$p" ] && at_sha "$p" || echo none
}

# at_sync_drained DIR TRIES: syncs until no file waits (a sync may fail on a cut link);
# 0 when drained. AT_SYNCS: the syncs it took.
at_sync_drained() {
	local i
	for i in $(seq 1 "$2"); do
		AT_SYNCS=$i
		"$DS" -d "$1" sync >>"$WORK/sync.log" 2>&1
		[ "$(at_backlog "$1")" = 0 ] && [ "$(fl_pending "$1")" = 0 ] && return 0
	done
	return 1
}
