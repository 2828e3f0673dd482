# A body over 8 MiB: 413, whether its length is announced or it is streamed in chunks.
. "$(dirname "$0")/lib.sh"
seed
head -c $((9 * 1024 * 1024)) /dev/urandom >"$WORK/big.z"
push "$T1" "$WORK/big.z"
expect_status 413
expect_error "8 MiB"
push "$T1" "$WORK/big.z" -H 'Transfer-Encoding: chunked'
expect_status 413
expect_error "8 MiB"
unchanged
health_ok
finish
