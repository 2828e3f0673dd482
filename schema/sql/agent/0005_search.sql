-- agent.db, step 5: finding a dossier (`dossync list --search` and its filters).
-- Rebuildable, like dossiers: agent_save keeps both in the transaction of every change to
-- a dossier row, and this step fills them for the rows already there.
--
-- The received time as Unix seconds, for --received-from/--received-to, and ordinary
-- indexes for the date filters (status already has one).
ALTER TABLE dossiers ADD COLUMN received_at INTEGER;
UPDATE dossiers SET received_at = unixepoch(json_extract(body, '$.received_at'));
CREATE INDEX dossiers_due ON dossiers(due_at);
CREATE INDEX dossiers_received ON dossiers(received_at);

-- A stable number per dossier code: the rowid of its line in the search index (the rowid
-- of dossiers itself is not stable: VACUUM may renumber it).
CREATE TABLE search_ids (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE
);

-- The search text of each dossier (schema_search_text: code, names, CCCD, phones, folded
-- to lower case without diacritics, one per line), indexed by trigrams, so any piece of
-- three characters or more is found through the index, not by reading every dossier.
CREATE VIRTUAL TABLE dossier_search USING fts5(text, tokenize = 'trigram');

INSERT INTO search_ids(code) SELECT code FROM dossiers ORDER BY code;
INSERT INTO dossier_search(rowid, text)
  SELECT f.id, dossync_search_text(d.body) FROM search_ids f JOIN dossiers d ON d.code = f.code;
