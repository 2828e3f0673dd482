-- central.db, step 6: the ops table rebuilt with the same columns, keys, rows and triggers;
-- only its CHECK on result changes form, three comparisons instead of IN (...), for the
-- same rule: SQLite builds an ephemeral table for an IN list each time it checks a row, so
-- every op a push stored paid for one (central's CPU per op, issue 13). The rows are copied
-- as they are, rowid included: ops stay append-only, no row is changed or left out.
CREATE TABLE ops_rebuilt (
  node        TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  op_id       TEXT NOT NULL UNIQUE,         -- "<node>:<seq>"
  code        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  entry       TEXT NOT NULL,                -- canonical JSON of the op entry
  hash        TEXT NOT NULL,                -- chain hash of the entry (schema_op_hash)
  result      TEXT NOT NULL CHECK (result = 'applied' OR result = 'conflict' OR
                                   result = 'rejected'),
  version     INTEGER NOT NULL,             -- applied: the version it made; conflict and
                                            -- rejected: the dossier's version then (0: none)
  reason      TEXT,                         -- rejected: why
  received_at TEXT NOT NULL,
  PRIMARY KEY (node, seq)
);
INSERT INTO ops_rebuilt (rowid, node, seq, op_id, code, kind, entry, hash, result, version,
                         reason, received_at)
  SELECT rowid, node, seq, op_id, code, kind, entry, hash, result, version, reason,
         received_at FROM ops ORDER BY rowid;
DROP TABLE ops;
ALTER TABLE ops_rebuilt RENAME TO ops;
CREATE TRIGGER ops_no_delete BEFORE DELETE ON ops
BEGIN SELECT RAISE(ABORT, 'ops are append-only: DELETE refused'); END;
CREATE TRIGGER ops_no_update BEFORE UPDATE ON ops
BEGIN SELECT RAISE(ABORT, 'ops are append-only: UPDATE refused'); END;
