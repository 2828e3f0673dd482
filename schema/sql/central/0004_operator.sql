-- central.db, step 4: what the operator's tools read (docs/CENTRAL.md "Monitoring",
-- "Tokens"). Each node's last contact, the last error it was answered and how far behind
-- the feed its last pull ended, written by the server about once a second; and token
-- lines, so a rotated token and the one it replaces both act for the same nodes until the
-- old one is revoked.
ALTER TABLE nodes ADD COLUMN last_contact TEXT;      -- RFC 3339, its last request; NULL: none
ALTER TABLE nodes ADD COLUMN last_error TEXT;        -- the last 4xx/5xx message it got
ALTER TABLE nodes ADD COLUMN pull_cursor INTEGER;    -- where its last pull ended
ALTER TABLE nodes ADD COLUMN pull_behind INTEGER;    -- feed rows after pull_cursor then
-- The id of the first token of a line of rotations (token rotate); NULL: the token itself.
ALTER TABLE tokens ADD COLUMN lineage TEXT;
