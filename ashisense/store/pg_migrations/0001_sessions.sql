-- Sessions and everything recorded with them, as the SQLite store holds them (JSON as text:
-- it may hold NaN, which jsonb refuses). Sample chunks and grid frames are codec.pack blobs,
-- numbered within their session; rows copied from another store are keyed so that a copy
-- run again adds nothing.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    uuid UUID NOT NULL UNIQUE,
    started_s DOUBLE PRECISION NOT NULL,
    stopped_s DOUBLE PRECISION,
    label TEXT NOT NULL,
    rig_path TEXT NOT NULL,
    rig_text TEXT NOT NULL,
    calibration_json TEXT NOT NULL,
    client_json TEXT NOT NULL,
    therapist_json TEXT NOT NULL,
    rules_text TEXT NOT NULL,
    contraindications_text TEXT NOT NULL,
    hello_json TEXT,
    channels_json TEXT,
    summary_json TEXT
);
CREATE INDEX sessions_by_start ON sessions (started_s);

CREATE TABLE chunks (
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chunk_seq INTEGER NOT NULL,
    t0_s DOUBLE PRECISION NOT NULL,
    t1_s DOUBLE PRECISION NOT NULL,
    seq0 BIGINT NOT NULL,
    n INTEGER NOT NULL,
    t_s BYTEA NOT NULL,
    t_device_s BYTEA NOT NULL,
    seq BYTEA NOT NULL,
    counts BYTEA NOT NULL,
    invalid BYTEA NOT NULL,
    PRIMARY KEY (session_id, chunk_seq)
);

CREATE TABLE grids (
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    grid_seq INTEGER NOT NULL,
    t0_s DOUBLE PRECISION NOT NULL,
    n INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    n_cols INTEGER NOT NULL,
    t_s BYTEA NOT NULL,
    seq BYTEA NOT NULL,
    frame_values BYTEA NOT NULL,
    PRIMARY KEY (session_id, grid_seq)
);

-- row_key: a copied row's content hash and its occurrence among equal rows; NULL for rows
-- written here (a note added at the desk). Rows read back ordered by time, then id.
CREATE TABLE gaps (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_start_s DOUBLE PRECISION NOT NULL,
    t_end_s DOUBLE PRECISION NOT NULL,
    lost BIGINT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX gaps_by_session ON gaps (session_id, t_start_s);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    t_device_s DOUBLE PRECISION NOT NULL,
    payload_json TEXT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX events_by_session ON events (session_id, t_s);

CREATE TABLE alarms (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    rule_id TEXT NOT NULL,
    priority TEXT NOT NULL,
    transition TEXT NOT NULL,
    from_state TEXT NOT NULL,
    state TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    limit_value DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX alarms_by_session ON alarms (session_id, t_s);

CREATE TABLE annotations (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL,
    author TEXT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX annotations_by_session ON annotations (session_id, t_s);

CREATE TABLE faults (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    dropped_samples BIGINT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX faults_by_session ON faults (session_id, t_s);

CREATE TABLE baselines (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row_key TEXT,
    t_s DOUBLE PRECISION NOT NULL,
    state_json TEXT NOT NULL,
    UNIQUE (session_id, row_key)
);
CREATE INDEX baselines_by_session ON baselines (session_id, t_s);
