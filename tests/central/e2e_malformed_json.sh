# A valid zlib body that holds broken JSON, and JSON of the wrong shape: 400.
. "$(dirname "$0")/lib.sh"
seed
printf '{"v":3,"node":"xa1",' | "$DSWIRE" deflate >"$WORK/b.z"
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "invalid JSON"
printf '[1,2,3]' | "$DSWIRE" deflate >"$WORK/b.z"
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "not a JSON object"
printf '{"v":3,"node":"xa1","first_seq":2,"prev_hash":"x","hash":"y","ops":{}}' |
	"$DSWIRE" deflate >"$WORK/b.z"
push "$T1" "$WORK/b.z"
expect_status 400
expect_error "prev_hash"
unchanged
health_ok
finish
