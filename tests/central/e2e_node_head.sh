# Tail truncation support: a push answer carries the last seq and hash central holds for
# the node (node_seq, node_hash), also when the batch brought nothing new; a pull page
# asked with node= carries them too (0 and the genesis hash for a node that has pushed
# nothing), and not for a node bound to another token or without node=.
. "$(dirname "$0")/lib.sh"
seed
GEN=0000000000000000000000000000000000000000000000000000000000000000
same "seed: node_seq" "$(resp node_seq)" 1
same "seed: node_hash" "$(resp node_hash)" "$(cat "$WORK/seed.z.hash")"
mkpush xa1 2 "$(cat "$WORK/seed.z.hash")" "$WORK/b.z" "$(op patch "$C1" '{"summary":"x"}' 1)" \
	"$(op patch "$C1" '{"summary":"y"}' 2)"
push "$T1" "$WORK/b.z"
expect_status 200
same "batch: node_seq" "$(resp node_seq)" 3
same "batch: node_hash" "$(resp node_hash)" "$(cat "$WORK/b.z.hash")"
# a replay of the first batch: central still holds 3
push "$T1" "$WORK/seed.z"
same "replay: node_seq" "$(resp node_seq)" 3
same "replay: node_hash" "$(resp node_hash)" "$(cat "$WORK/b.z.hash")"
http GET "/v1/pull?since=0&node=xa1" "$T1"
expect_status 200
same "pull node=xa1: node_seq" "$(resp node_seq)" 3
same "pull node=xa1: node_hash" "$(resp node_hash)" "$(cat "$WORK/b.z.hash")"
http GET "/v1/pull?since=0&node=fresh" "$T1"
same "pull node=fresh: node_seq" "$(resp node_seq)" 0
same "pull node=fresh: node_hash" "$(resp node_hash)" "$GEN"
http GET "/v1/pull?since=0" "$T1"
same "pull without node" "$(grep -c node_seq "$WORK/resp.json")" 0
T1b=$(token_add "$AG1")
http GET "/v1/pull?since=0&node=xa1" "$T1b"
expect_status 200
same "another token's node" "$(grep -c node_seq "$WORK/resp.json")" 0
health_ok
finish
