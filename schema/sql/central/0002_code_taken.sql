-- central.db, step 2: dossier numbers taken one by one (schema/code.c). code_alloc kept only
-- the highest number per agency and day, so one claimed code above an allocator's block
-- (a code central numbered 9000-9999, pulled) or at its top used the whole block up. Now
-- each number issued or claimed is a row, and a block is allocated from its own free
-- numbers. code_alloc is no longer written.
CREATE TABLE code_taken (
  agency      TEXT NOT NULL,
  day         TEXT NOT NULL,                -- yyMMdd in +07:00
  seq         INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 9999),
  PRIMARY KEY (agency, day, seq)
) WITHOUT ROWID;

-- The old counter cannot tell which numbers below it were issued: all of them count as
-- taken, so none is ever issued twice.
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 9999)
INSERT INTO code_taken (agency, day, seq)
  SELECT a.agency, a.day, n.x FROM code_alloc a JOIN n ON n.x <= a.last;
