-- agent.db, step 7: op_state rebuilt with the same columns, key and rows; only its CHECK
-- on result changes form, a chain of comparisons instead of IN (...), for the same rule:
-- SQLite 3.40 builds an ephemeral table for an IN list each time it checks a row, so every
-- receipt a round stored paid for one (about a tenth of the agent's instructions in a
-- sync, issue 13). The rows are copied as they are.
CREATE TABLE op_state_rebuilt (
  seq         INTEGER PRIMARY KEY REFERENCES journal(seq),
  result      TEXT NOT NULL CHECK (result = 'applied' OR result = 'duplicate' OR
                                   result = 'conflict' OR result = 'rejected' OR
                                   result = 'superseded'),
  version     INTEGER,                      -- central version after the op (applied)
  reason      TEXT,                         -- why (rejected, conflict)
  at          TEXT NOT NULL                 -- when the receipt arrived
);
INSERT INTO op_state_rebuilt (seq, result, version, reason, at)
  SELECT seq, result, version, reason, at FROM op_state ORDER BY seq;
DROP TABLE op_state;
ALTER TABLE op_state_rebuilt RENAME TO op_state;
