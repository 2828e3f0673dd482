-- central.db, step 3: the working calendar and the procedure catalogue the province
-- distributes to the offices (data/README.md; docs/PROTOCOL.md "GET /v1/data"). Every
-- version published is kept, so the versions a dossier's due_basis names can always be
-- read again. The current file of a kind is the one published last.
CREATE TABLE data_files (
  kind         TEXT NOT NULL CHECK (kind IN ('calendar','procedures')),
  version      TEXT NOT NULL,
  body         TEXT NOT NULL,               -- the file as published
  sha256       TEXT NOT NULL,               -- of body
  published_at TEXT NOT NULL,
  PRIMARY KEY (kind, version)
);
CREATE TRIGGER data_files_no_delete BEFORE DELETE ON data_files
BEGIN SELECT RAISE(ABORT, 'data_files are append-only: DELETE refused'); END;
CREATE TRIGGER data_files_no_update BEFORE UPDATE ON data_files
BEGIN SELECT RAISE(ABORT, 'data_files are append-only: UPDATE refused'); END;
