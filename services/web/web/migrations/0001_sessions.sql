-- The workspace's sessions: who is signed in, their tokens, the form they were filling in when
-- a session ended. No children's records: the workspace keeps none of its own. Each session is
-- found by the SHA-256 of the random token in its cookie (a copy of this table opens no one's
-- session) and its data is encrypted by the workspace (SESSION_KEYS) before it is stored.
CREATE TABLE sessions (
    id_hash bytea PRIMARY KEY,
    data bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_expiry ON sessions (expires_at);
