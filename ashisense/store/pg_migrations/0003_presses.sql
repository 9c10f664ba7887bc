-- The client's presses (handset or the dashboard's client page) with the feet force, region
-- and pressure at that moment, and the feet force 2 s later (issue 18). Keyed like the other
-- copied rows; NaN stands for unknown, as in the alarms' values.
CREATE TABLE presses (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    button TEXT NOT NULL,
    source TEXT NOT NULL,
    feet_n DOUBLE PRECISION NOT NULL,
    region TEXT NOT NULL,
    pressure_kpa DOUBLE PRECISION NOT NULL,
    pressure_basis TEXT NOT NULL,
    feet_after_n DOUBLE PRECISION NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX presses_by_session ON presses (session_id, t_s);
CREATE INDEX presses_by_button ON presses (button, session_id);
