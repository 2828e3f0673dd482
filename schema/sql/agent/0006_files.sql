-- agent.db, step 6: attachments (docs/OPERATIONS.md "Attachments"). The files themselves
-- are in DIR/files/ab/SHA256, content addressed, written once; this table is sync
-- bookkeeping, not the record (the dossier's `attachments` list, through the journal, is).
-- One row per file however many dossiers list it, so the same scan is sent once.
CREATE TABLE files (
  sha256 TEXT PRIMARY KEY,      -- 64 lower-case hex digits
  size INTEGER NOT NULL,        -- bytes
  code TEXT NOT NULL,           -- a dossier listing it: central is asked about it by this one
  state TEXT NOT NULL,          -- 'up': to send; 'sent': central holds it, verified;
                                -- 'fetched': brought from central (dossync fetch, prefetch)
  acked INTEGER NOT NULL DEFAULT 0, -- bytes central has acknowledged, from the first on
  added_at INTEGER NOT NULL,    -- Unix seconds: attached (or fetched)
  done_at INTEGER,              -- Unix seconds: central acknowledged the whole file
  error TEXT                    -- central's last refusal of it (cap, quota), else NULL
);
CREATE INDEX files_up ON files(state, added_at);
