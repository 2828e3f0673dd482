-- agent.db, step 1: the office's store.
-- Canonical (never rebuilt, never edited): journal, inbox.
-- Rebuildable from journal + inbox: dossiers.
-- Sync bookkeeping (mutable, never the source of truth): op_state, sync_state.

-- The journal: one row per change, append-only, hash-chained.
-- hash = sha256(prev_hash || "\n" || canonical JSON of the entry); see schema_op_hash().
CREATE TABLE journal (
  seq         INTEGER PRIMARY KEY,          -- 1, 2, 3... without gaps
  op_id       TEXT NOT NULL UNIQUE,         -- "<node>:<seq>"
  code        TEXT NOT NULL,                -- the dossier it changes
  kind        TEXT NOT NULL CHECK (kind IN ('create','patch','transition','merge','resolve')),
  payload     TEXT NOT NULL,                -- canonical JSON
  base        INTEGER NOT NULL,             -- central version the change was made on (0: none)
  parent      TEXT,                         -- previous unacknowledged local op on the dossier
  actor       TEXT NOT NULL,
  occurred_at TEXT NOT NULL,                -- real time of the act, with offset
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX journal_code ON journal(code, seq);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: UPDATE refused'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: DELETE refused'); END;

-- Changes pulled from central, append-only, in feed order.
CREATE TABLE inbox (
  cursor      INTEGER PRIMARY KEY,          -- central's feed position
  code        TEXT NOT NULL,
  version     INTEGER NOT NULL,             -- central version after the change
  op_id       TEXT NOT NULL,                -- the op central applied
  node        TEXT NOT NULL,                -- who made it ("central" for the province)
  state       TEXT NOT NULL,                -- canonical JSON of the dossier at version
  received_at TEXT NOT NULL
);
CREATE INDEX inbox_code ON inbox(code, version);
CREATE TRIGGER inbox_no_update BEFORE UPDATE ON inbox
BEGIN SELECT RAISE(ABORT, 'the inbox is append-only: UPDATE refused'); END;
CREATE TRIGGER inbox_no_delete BEFORE DELETE ON inbox
BEGIN SELECT RAISE(ABORT, 'the inbox is append-only: DELETE refused'); END;

-- Current local state of each dossier (rebuildable).
CREATE TABLE dossiers (
  code        TEXT PRIMARY KEY,
  agency      TEXT NOT NULL,
  status      INTEGER NOT NULL,
  due_at      INTEGER,                      -- Unix seconds, for list --overdue
  body        TEXT NOT NULL,                -- canonical JSON
  version     INTEGER NOT NULL DEFAULT 0,   -- central version the local state rests on
  updated_seq INTEGER NOT NULL DEFAULT 0    -- last journal seq that touched it
);
CREATE INDEX dossiers_status ON dossiers(status);

-- Sync state of each journal op: no row = never pushed; otherwise central's receipt.
CREATE TABLE op_state (
  seq         INTEGER PRIMARY KEY REFERENCES journal(seq),
  result      TEXT NOT NULL CHECK (result IN
                ('applied','duplicate','conflict','rejected','superseded')),
  version     INTEGER,                      -- central version after the op (applied)
  reason      TEXT,                         -- why (rejected, conflict)
  at          TEXT NOT NULL                 -- when the receipt arrived
);

-- Small key/value facts about sync: cursor, last_sync_at, last_error...
CREATE TABLE sync_state (
  key         TEXT PRIMARY KEY,
  value       TEXT
);

-- Dossier code allocation: the last sequence issued per agency per day (never reused).
CREATE TABLE code_alloc (
  agency      TEXT NOT NULL,
  day         TEXT NOT NULL,                -- yyMMdd in +07:00
  last        INTEGER NOT NULL,
  PRIMARY KEY (agency, day)
);
