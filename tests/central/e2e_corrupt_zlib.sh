# A body that is not zlib at all, and one with a damaged stream: 400.
. "$(dirname "$0")/lib.sh"
seed
printf 'this is not compressed' >"$WORK/b.z"
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "zlib"
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/ok.z" "$(op patch "$C1" '{"summary":"x"}' 1)"
# flip bytes in the middle of a real push body
python3 - "$WORK/ok.z" "$WORK/b.z" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
for i in range(len(b) // 3, len(b) // 3 + 8):
    b[i] ^= 0xff
open(sys.argv[2], 'wb').write(b)
PY
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "zlib"
unchanged
health_ok
finish
