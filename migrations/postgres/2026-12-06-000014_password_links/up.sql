-- One-time links to choose a password: for a new staff account (an invitation) and for a
-- forgotten one. Kept apart from login links, which only employees get.
CREATE TABLE password_links (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_links_user ON password_links (user_id);
