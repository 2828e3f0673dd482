# A small body (70 MB of zeros deflated, ~70 KB) that inflates past the 8 MiB cap of a push: 413.
. "$(dirname "$0")/lib.sh"
seed
head -c 70000000 /dev/zero | "$DSWIRE" deflate >"$WORK/bomb.z"
size=$(stat -c %s "$WORK/bomb.z")
[ "$size" -lt 200000 ] && pass || fail "the bomb should be small, is $size bytes"
push "$T1" "$WORK/bomb.z"
expect_status 413
expect_error "inflated body over 8388608 bytes"
unchanged
health_ok
finish
