-- central on PostgreSQL, step 2: central.db step 4 (schema/sql/central/0004_operator.sql)
-- in PostgreSQL's dialect, for the operator's tools (docs/CENTRAL.md "Monitoring",
-- "Tokens"): each node's last contact, the last error it was answered and how far behind
-- the feed its last pull ended; and token lines, so a rotated token and the one it
-- replaces both act for the same nodes until the old one is revoked.
ALTER TABLE nodes ADD COLUMN last_contact text;      -- RFC 3339, its last request; NULL: none
ALTER TABLE nodes ADD COLUMN last_error text;        -- the last 4xx/5xx message it got
ALTER TABLE nodes ADD COLUMN pull_cursor bigint;     -- where its last pull ended
ALTER TABLE nodes ADD COLUMN pull_behind bigint;     -- feed rows after pull_cursor then
-- The id of the first token of a line of rotations (token rotate); NULL: the token itself.
ALTER TABLE tokens ADD COLUMN lineage text;
