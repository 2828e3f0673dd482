-- central.db, step 5: attachments (docs/PROTOCOL.md "Attachments"). One row per file,
-- content addressed by its SHA-256, however many dossiers list it: its size (from the
-- dossier's attachment item), how many bytes from the first on central holds (the file
-- itself is on the filesystem, docs/CENTRAL.md "Attachments"), whether the whole file
-- matched its SHA-256, and the agency it is charged to (the one whose dossier it was
-- first sent for; the per-office quota sums the sizes of its files).
CREATE TABLE files (
  sha256 TEXT PRIMARY KEY,          -- 64 lower-case hex digits
  size INTEGER NOT NULL,            -- bytes, from the attachment item
  received INTEGER NOT NULL DEFAULT 0, -- bytes held, appended in order
  verified INTEGER NOT NULL DEFAULT 0, -- 1: whole and matching; only then served
  agency TEXT NOT NULL,             -- charged to this office
  created_at TEXT NOT NULL,         -- RFC 3339, the first chunk
  verified_at TEXT                  -- RFC 3339, when it was verified
);
CREATE INDEX files_agency ON files(agency);
