-- Accounts and tenancy. IDs are UUID v7 text; enums are text with a check constraint so that the
-- same schema.rs works on SQLite and PostgreSQL.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE cohorts (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    starts_on DATE,
    ends_on DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'project_leader', 'coach', 'employee', 'researcher')),
    organization_id TEXT REFERENCES organizations (id),
    password_hash TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role IN ('admin', 'researcher')) = (organization_id IS NULL))
);
CREATE INDEX users_organization_role ON users (organization_id, role);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed-login counters per account and per address (key = 'email:...' or 'ip:...').
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
