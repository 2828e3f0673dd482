#!/usr/bin/env bash
# attach_disk.sh: central's disk fills up under an upload (issue 16). Central keeps its
# files on a 2 MiB tmpfs the test mounts; an office sends a 3 MB scan and a 0.5 MB one.
# Records still go through; the scan that does not fit is answered "try later" (the
# sync exits 75 naming the full disk, the office keeps what central lacks waiting,
# central stays up and shows nothing partial: no file is listed that is not whole, another
# PC cannot fetch the big one); once the
# disk has room again the next sync sends the rest and both
# files are central's byte for byte. Needs root
# and a tmpfs mount: without them the test says so and is skipped (exit 77).
BIN=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/attach_lib.sh"
CDB=$WORK/central.db
MNT=$WORK/cdisk
O=$WORK/office
mkdir -p "$MNT"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
	echo "SKIP: mounting a tmpfs needs root"
	exit 77
fi
disk_cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	umount "$MNT" 2>/dev/null || umount -l "$MNT"
	cleanup
}
trap disk_cleanup EXIT

fl_central_init "$CDB"
fl_token "$CDB" "$FL_AGENCY" "$WORK/token"
at_central_start "$CDB" --files "$MNT/files"
fl_office "$O" xa1 "$FL_URL" "$WORK/token" "$FL_AGENCY" "attach_round_s = 20"
D1=$(at_dossier "$O")
at_scan "$WORK/big.pdf" 3000000
at_scan "$WORK/small.pdf" 500000
expect 0 "attach the big scan" -- "$DS" -d "$O" attach "$D1" "$WORK/big.pdf"
expect 0 "attach the small scan" -- "$DS" -d "$O" attach "$D1" "$WORK/small.pdf"
BIG=$(at_sha "$WORK/big.pdf")
SMALL=$(at_sha "$WORK/small.pdf")

# --- the disk fills: records arrive, the big scan waits, nothing partial is visible
expect 75 "sync with central's disk full" -- "$DS" -d "$O" sync
grep -q "No space left on device" "$WORK/err" && pass || fail "the full disk is not named: $(tail -1 "$WORK/err")"
same "records reached central" "$("$DSC" --db "$CDB" show "$D1" --json | jget attachments.1.sha256)" "$SMALL"
same "no big scan shown" "$(at_central_file "$MNT/files" "$BIG")" none
# The small scan may have gone first (and fit) or after the big one's received part
# filled the disk: either whole or not shown at all, and the office agrees.
GOT_SMALL=$(at_central_file "$MNT/files" "$SMALL")
[ "$GOT_SMALL" = none ] || [ "$GOT_SMALL" = "$SMALL" ] && pass ||
	fail "the small scan is shown but differs: $GOT_SMALL"
same "the office still holds what central lacks" "$(at_backlog "$O")" \
	"$([ "$GOT_SMALL" = none ] && echo 2 || echo 1)"
kill -0 "$FL_CENTRAL_PID" 2>/dev/null && pass || fail "central died of a full disk"
expect 0 "the health of central" -- curl -sf "$FL_URL/v1/health"
O2=$WORK/office2
fl_office "$O2" xa2 "$FL_URL" "$WORK/token" "$FL_AGENCY"
expect 0 "another PC pulls" -- "$DS" -d "$O2" sync
expect 75 "fetching the big scan: not there yet" -- "$DS" -d "$O2" fetch "$D1" --out "$WORK/got"
[ -f "$WORK/got/big.pdf" ] && fail "a partial file was handed out" || pass

# --- room again: the rest goes, both files are central's byte for byte
mount -o remount,size=16m "$MNT" || { echo "FATAL: remount" >&2; exit 1; }
expect 0 "sync once there is room" -- "$DS" -d "$O" sync
same "nothing waits" "$(at_backlog "$O")" 0
same "the big scan arrived whole" "$(at_central_file "$MNT/files" "$BIG")" "$BIG"
same "the small scan arrived whole" "$(at_central_file "$MNT/files" "$SMALL")" "$SMALL"
expect 0 "fetch on the other PC" -- "$DS" -d "$O2" fetch "$D1" --out "$WORK/got"
same "fetched big" "$(at_sha "$WORK/got/big.pdf")" "$BIG"
same "fetched small" "$(at_sha "$WORK/got/small.pdf")" "$SMALL"
finish
