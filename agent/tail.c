/* tail.c: is this office's journal whole? Central tells a node the last seq of its journal
 * it holds and that entry's hash (node_seq, node_hash in push and pull answers); a journal
 * that ends before that seq was cut or restored from an old backup, and one whose entry
 * there has another hash has forked. Either is recorded for `status` and stops the sync. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#define RESTORE "docs/OPERATIONS.md, \"Restore from central after a lost disk\""

/* The hash of local entry seq (genesis for 0); *found 0 when the journal lacks it. */
static int entry_hash(agent *a, int64_t seq, char hash[DS_SHA256_HEX], int *found)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = seq == 0;
	memcpy(hash, schema_genesis_hash, DS_SHA256_HEX);
	if (seq == 0)
		return 0;
	if ((rc = agent_stmt_get(a, ST_JOURNAL_HASH, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		snprintf(hash, DS_SHA256_HEX, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

/* 1 when the store already says state at central_seq (nothing to write). */
static int recorded(agent *a, const char *state, const char *seq)
{
	char *old = NULL, *old_seq = NULL;
	int same = agent_state_get(a, "tail_state", &old) == 0 &&
	           agent_state_get(a, "tail_central_seq", &old_seq) == 0 && old && old_seq &&
	           !strcmp(old, state) && !strcmp(old_seq, seq);

	free(old);
	free(old_seq);
	return same;
}

/* Records the verdict where `status` reads it, writing only when it changed. */
static int record(agent *a, const char *state, int64_t central_seq, const char *message)
{
	int held = a->lock_fd >= 0, rc;
	char seq[32];

	snprintf(seq, sizeof(seq), "%lld", (long long)central_seq);
	if (recorded(a, state, seq))
		return 0;
	if ((rc = agent_lock(a, -1)))
		return rc;
	if (!(rc = agent_state_set(a, "tail_state", state)) &&
	    !(rc = agent_state_set(a, "tail_central_seq", seq)))
		rc = agent_state_set(a, "tail_message", message);
	if (!held)
		agent_unlock(a);
	return rc;
}

int agent_check_tail(agent *a, int64_t central_seq, const char *central_hash)
{
	char have[DS_SHA256_HEX], msg[512];
	int64_t last = 0;
	int found = 0, rc;

	if (central_seq < 0 || !central_hash)
		return ds_error_set(DS_EINVALID, "check tail: no seq or hash from central");
	if ((rc = journal_last(a, &last, have)) || (rc = entry_hash(a, central_seq, have, &found)))
		return rc;
	if (!found)
		snprintf(
		    msg, sizeof(msg),
		    "this office's journal is behind central: central holds entries 1-%lld "
		    "of node %s, this journal ends at %lld (entries were cut, or an old backup "
		    "was restored); stop recording changes and restore: see " RESTORE,
		    (long long)central_seq, a->cfg.node, (long long)last);
	else if (strcmp(have, central_hash))
		snprintf(msg, sizeof(msg),
		         "this office's journal has forked from central: entry %lld of node %s "
		         "differs from the one central holds; stop recording changes and restore: "
		         "see " RESTORE,
		         (long long)central_seq, a->cfg.node);
	else
		return record(a, "ok", central_seq, NULL);
	if ((rc = record(a, found ? "forked" : "behind", central_seq, msg)))
		return rc;
	return ds_error_set(DS_EINVALID, "%s", msg);
}
