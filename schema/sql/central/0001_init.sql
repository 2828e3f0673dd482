-- central.db, step 1: the reference central server's store (dossync-central).
-- Canonical (append-only, never rebuilt): ops (every op received, with its receipt), feed.
-- Current state, derived from ops + feed: dossiers, nodes (chain head per node).
-- Administration: tokens, code_alloc.

-- Bearer tokens. Only the SHA-256 of the whole token text is kept; the token itself is
-- printed once by `token add`. A revoked token stays listed with its revoked_at.
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,             -- 8 hex digits, the middle part of the token
  hash        TEXT NOT NULL UNIQUE,         -- sha256 hex of "dst1.<id>.<secret>"
  agency      TEXT NOT NULL,                -- the agency the token acts for
  role        TEXT NOT NULL CHECK (role IN ('office','province')),
  created_at  TEXT NOT NULL,
  revoked_at  TEXT                          -- NULL while valid
);

-- One row per journal chain central knows: each pushing node, and "central" itself (the
-- province's own edits). A node is bound to the first token that pushed for it.
CREATE TABLE nodes (
  node        TEXT PRIMARY KEY,
  token_id    TEXT REFERENCES tokens(id),   -- NULL for "central"
  agency      TEXT,                         -- the office token's agency; NULL: province
  last_seq    INTEGER NOT NULL DEFAULT 0,   -- the last seq held (0: none)
  last_hash   TEXT NOT NULL,                -- hash of entry last_seq (genesis when 0)
  created_at  TEXT NOT NULL
);

-- Every op received (and every province edit), whatever its result, with its receipt.
-- An op is stored once: a replay is answered from here and never applied again.
CREATE TABLE ops (
  node        TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  op_id       TEXT NOT NULL UNIQUE,         -- "<node>:<seq>"
  code        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  entry       TEXT NOT NULL,                -- canonical JSON of the op entry
  hash        TEXT NOT NULL,                -- chain hash of the entry (schema_op_hash)
  result      TEXT NOT NULL CHECK (result IN ('applied','conflict','rejected')),
  version     INTEGER NOT NULL,             -- applied: the version it made; conflict and
                                            -- rejected: the dossier's version then (0: none)
  reason      TEXT,                         -- rejected: why
  received_at TEXT NOT NULL,
  PRIMARY KEY (node, seq)
);
CREATE TRIGGER ops_no_delete BEFORE DELETE ON ops
BEGIN SELECT RAISE(ABORT, 'ops are append-only: DELETE refused'); END;
CREATE TRIGGER ops_no_update BEFORE UPDATE ON ops
BEGIN SELECT RAISE(ABORT, 'ops are append-only: UPDATE refused'); END;

-- The change feed: one row per applied op, with the dossier's full state after it.
-- cursor is the position pulls page over; rows are never changed or removed.
CREATE TABLE feed (
  cursor      INTEGER PRIMARY KEY,
  code        TEXT NOT NULL,
  agency      TEXT NOT NULL,                -- for office visibility
  version     INTEGER NOT NULL,
  op_id       TEXT NOT NULL,
  node        TEXT NOT NULL,
  state       TEXT NOT NULL,                -- canonical JSON of the dossier at version
  at          TEXT NOT NULL
);
CREATE INDEX feed_agency ON feed(agency, cursor);
CREATE UNIQUE INDEX feed_version ON feed(code, version);
CREATE TRIGGER feed_no_delete BEFORE DELETE ON feed
BEGIN SELECT RAISE(ABORT, 'the feed is append-only: DELETE refused'); END;
CREATE TRIGGER feed_no_update BEFORE UPDATE ON feed
BEGIN SELECT RAISE(ABORT, 'the feed is append-only: UPDATE refused'); END;

-- Current state of each dossier (the last feed row of its code).
CREATE TABLE dossiers (
  code        TEXT PRIMARY KEY,
  agency      TEXT NOT NULL,
  status      INTEGER NOT NULL,
  due_at      TEXT,                         -- as in the dossier, for list
  body        TEXT NOT NULL,                -- canonical JSON
  version     INTEGER NOT NULL,             -- 1 after the create, +1 per applied op
  last_op     TEXT NOT NULL,                -- op_id of the last applied op (parent rule)
  updated_at  TEXT NOT NULL
);
CREATE INDEX dossiers_agency ON dossiers(agency, code);
CREATE INDEX dossiers_status ON dossiers(status);

-- Dossier code allocation (schema_code_alloc): the last sequence issued per agency per
-- day. Central issues its own codes in the reserved block 9000-9999; codes pushed by
-- offices are claimed here too so they are never issued twice.
CREATE TABLE code_alloc (
  agency      TEXT NOT NULL,
  day         TEXT NOT NULL,                -- yyMMdd in +07:00
  last        INTEGER NOT NULL,
  PRIMARY KEY (agency, day)
);
