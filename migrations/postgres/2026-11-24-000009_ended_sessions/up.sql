-- Sessions ended before their access tokens run out: logout, password change, deactivation,
-- erasure, a reused refresh token. Access tokens are checked without the database, so every
-- instance reads the recent rows and refuses those sessions' tokens at once. No person in here:
-- a session id is random. Housekeeping removes rows older than a day.
CREATE TABLE ended_sessions (
    session_id TEXT NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, ended_at)
);
CREATE INDEX ended_sessions_at ON ended_sessions (ended_at);
