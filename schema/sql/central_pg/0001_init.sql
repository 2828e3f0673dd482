-- central on PostgreSQL, step 1: the same store as central.db steps 1-3 (schema/sql/central/),
-- in PostgreSQL's dialect. Tables, columns and rules are those of SQLite's schema; the
-- differences: n (an identity) where SQLite's queries order by rowid, the feed cursor
-- assigned by central under the writer lock (docs/DESIGN-NOTES.md) instead of by rowid,
-- and the append-only rules as one trigger function. schema_version holds the last step.
CREATE TABLE schema_version (
  version     integer NOT NULL
);
INSERT INTO schema_version VALUES (0);

CREATE TABLE tokens (
  n           bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- creation order
  id          text PRIMARY KEY,             -- 8 hex digits, the middle part of the token
  hash        text NOT NULL UNIQUE,         -- sha256 hex of "dst1.<id>.<secret>"
  agency      text NOT NULL,
  role        text NOT NULL CHECK (role IN ('office','province')),
  created_at  text NOT NULL,
  revoked_at  text                          -- NULL while valid
);

CREATE TABLE nodes (
  node        text PRIMARY KEY,
  token_id    text REFERENCES tokens(id),   -- NULL for "central"
  agency      text,                         -- the office token's agency; NULL: province
  last_seq    bigint NOT NULL DEFAULT 0,    -- the last seq held (0: none)
  last_hash   text NOT NULL,                -- hash of entry last_seq (genesis when 0)
  created_at  text NOT NULL
);

CREATE TABLE ops (
  node        text NOT NULL,
  seq         bigint NOT NULL,
  op_id       text NOT NULL UNIQUE,         -- "<node>:<seq>"
  code        text NOT NULL,
  kind        text NOT NULL,
  entry       text NOT NULL,                -- canonical JSON of the op entry
  hash        text NOT NULL,
  result      text NOT NULL CHECK (result IN ('applied','conflict','rejected')),
  version     bigint NOT NULL,
  reason      text,
  received_at text NOT NULL,
  PRIMARY KEY (node, seq)
);

-- cursor: the next after the highest, given inside the write transaction that holds the
-- writer lock until it commits, so cursors appear in the order they commit.
CREATE TABLE feed (
  cursor      bigint PRIMARY KEY,
  code        text NOT NULL,
  agency      text NOT NULL,
  version     bigint NOT NULL,
  op_id       text NOT NULL,
  node        text NOT NULL,
  state       text NOT NULL,                -- canonical JSON of the dossier at version
  at          text NOT NULL
);
CREATE INDEX feed_agency ON feed(agency, cursor);
CREATE UNIQUE INDEX feed_version ON feed(code, version);

CREATE TABLE dossiers (
  code        text PRIMARY KEY,
  agency      text NOT NULL,
  status      bigint NOT NULL,
  due_at      text,
  body        text NOT NULL,
  version     bigint NOT NULL,
  last_op     text NOT NULL,
  updated_at  text NOT NULL
);
CREATE INDEX dossiers_agency ON dossiers(agency, code);
CREATE INDEX dossiers_status ON dossiers(status);

CREATE TABLE code_taken (
  agency      text NOT NULL,
  day         text NOT NULL,                -- yyMMdd in +07:00
  seq         integer NOT NULL CHECK (seq BETWEEN 1 AND 9999),
  PRIMARY KEY (agency, day, seq)
);

CREATE TABLE data_files (
  n            bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- publication order
  kind         text NOT NULL CHECK (kind IN ('calendar','procedures')),
  version      text NOT NULL,
  body         text NOT NULL,
  sha256       text NOT NULL,
  published_at text NOT NULL,
  PRIMARY KEY (kind, version)
);

-- ops, feed and data_files are append-only, as on SQLite.
CREATE FUNCTION dossync_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER ops_append_only BEFORE UPDATE OR DELETE ON ops
  FOR EACH ROW EXECUTE FUNCTION dossync_append_only();
CREATE TRIGGER feed_append_only BEFORE UPDATE OR DELETE ON feed
  FOR EACH ROW EXECUTE FUNCTION dossync_append_only();
CREATE TRIGGER data_files_append_only BEFORE UPDATE OR DELETE ON data_files
  FOR EACH ROW EXECUTE FUNCTION dossync_append_only();
