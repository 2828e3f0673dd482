-- agent.db, step 2: the review queue of conflicts a person must settle.
-- A row opens when a three-way merge leaves a field to a person (policy `manual`, or two
-- different status moves...) and closes when `dossync resolve` records its decision as a
-- journal op of kind `resolve`. Values are canonical JSON, NULL when the side lacks the field.
CREATE TABLE conflicts (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL,
  field       TEXT NOT NULL,                -- field path: status, applicant.phone, fees[lp1]
  ancestor    TEXT,
  ours        TEXT,                         -- the office's value
  theirs      TEXT,                         -- central's value when the conflict opened
  reason      TEXT NOT NULL,
  since       TEXT NOT NULL,                -- when it opened, +07:00
  since_epoch INTEGER NOT NULL,
  resolved_at TEXT,
  resolution  TEXT,                         -- ours | theirs | value
  resolved_by TEXT,
  resolve_seq INTEGER                       -- the journal entry that carried the decision
);
-- At most one open conflict per dossier field.
CREATE UNIQUE INDEX conflicts_open ON conflicts(code, field) WHERE resolved_at IS NULL;
