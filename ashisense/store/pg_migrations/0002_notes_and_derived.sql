-- Notes may span a time range (t_end_s, NULL for a note at one moment) and are edited and
-- deleted by id. Arrays derived from a session (the review's display series) are kept with
-- it: one row per array (codec.pack blob), under a version key naming what they were
-- derived with; a new key replaces every row of the session.
ALTER TABLE annotations ADD COLUMN t_end_s DOUBLE PRECISION;

CREATE TABLE derived (
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    part TEXT NOT NULL,
    name TEXT NOT NULL,
    version_key TEXT NOT NULL,
    dtype TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (session_id, part, name)
);
