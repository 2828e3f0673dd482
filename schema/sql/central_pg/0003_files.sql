-- central on PostgreSQL, step 3: central.db step 5 (schema/sql/central/0005_files.sql) in
-- PostgreSQL's dialect: one row per attachment file, content addressed by its SHA-256,
-- with its size, the bytes held, whether it was verified, and the agency it is charged to
-- (docs/PROTOCOL.md "Attachments", docs/CENTRAL.md "Attachments").
CREATE TABLE files (
  sha256 text PRIMARY KEY,          -- 64 lower-case hex digits
  size bigint NOT NULL,             -- bytes, from the attachment item
  received bigint NOT NULL DEFAULT 0, -- bytes held, appended in order
  verified integer NOT NULL DEFAULT 0, -- 1: whole and matching; only then served
  agency text NOT NULL,             -- charged to this office
  created_at text NOT NULL,         -- RFC 3339, the first chunk
  verified_at text                  -- RFC 3339, when it was verified
);
CREATE INDEX files_agency ON files(agency);
