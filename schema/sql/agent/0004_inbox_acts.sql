-- agent.db, step 4: who acted when, for each change pulled from central.
-- The feed names the kind and the true time (occurred_at) of the op behind a change of
-- another node; a merge of two PCs of one office changing the same field keeps the later
-- act (docs/DESIGN-NOTES.md "Two PCs of one office"). NULL for the echo of this node's
-- own ops (its journal has them) and for changes pulled before this step.
ALTER TABLE inbox ADD COLUMN kind TEXT;
ALTER TABLE inbox ADD COLUMN occurred_at TEXT;
