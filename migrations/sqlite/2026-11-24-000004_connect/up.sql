-- Connecting parts: mail outbox, magic links, group sessions, buddies, visits, cards, return and aftercare.

-- Weeks after return at which aftercare check-ins are scheduled (JSON array), per organisation.
ALTER TABLE organizations ADD COLUMN aftercare_weeks TEXT NOT NULL DEFAULT '[2,6,12]';

-- Every mail is written here in the same transaction as the record that caused it; a worker sends it.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    template TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    -- what the mail is about, e.g. 'card:<id>' (to cancel it)
    subject_ref TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ref ON outbox (subject_ref);

CREATE TABLE magic_links (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE group_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    facilitator_id TEXT NOT NULL REFERENCES users (id),
    starts_at TIMESTAMP NOT NULL,
    place TEXT,
    video_link TEXT,
    topic TEXT NOT NULL,
    notes TEXT,
    cancelled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX group_sessions_org ON group_sessions (organization_id, starts_at);

CREATE TABLE group_invitations (
    session_id TEXT NOT NULL REFERENCES group_sessions (id),
    employee_id TEXT NOT NULL REFERENCES users (id),
    attendance TEXT CHECK (attendance IN ('present', 'absent_with_notice', 'absent')),
    invited_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, employee_id)
);
CREATE INDEX group_invitations_employee ON group_invitations (employee_id);

CREATE TABLE buddy_pairs (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    employee_a TEXT NOT NULL REFERENCES users (id),
    employee_b TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'ended')),
    a_confirmed BOOLEAN NOT NULL,
    b_confirmed BOOLEAN NOT NULL,
    -- how each wants to be reached by the other (shared only with the buddy)
    a_contact TEXT,
    b_contact TEXT,
    proposed_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_by TEXT REFERENCES users (id)
);
CREATE INDEX buddy_pairs_a ON buddy_pairs (employee_a);
CREATE INDEX buddy_pairs_b ON buddy_pairs (employee_b);

CREATE TABLE workplace_visits (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    visit_date DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('coffee', 'lunch', 'meeting', 'joining_work', 'other')),
    with_whom TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'done', 'cancelled')),
    how_it_went TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workplace_visits_trajectory ON workplace_visits (trajectory_id, visit_date);

CREATE TABLE card_links (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    token_hash TEXT NOT NULL UNIQUE,
    delivery TEXT NOT NULL CHECK (delivery IN ('email', 'print')),
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE cards (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    link_id TEXT NOT NULL REFERENCES card_links (id),
    author_name TEXT NOT NULL,
    message TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('email', 'print')),
    blocked BOOLEAN NOT NULL,
    blocked_by TEXT REFERENCES users (id),
    -- held until this moment so the coach can stop a hurtful card
    deliver_after TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cards_trajectory ON cards (trajectory_id, created_at);

-- Every update of the return to work is kept (hours built up over time).
CREATE TABLE work_returns (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    return_date DATE NOT NULL,
    extent TEXT NOT NULL CHECK (extent IN ('partial', 'full')),
    hours_per_week DOUBLE NOT NULL,
    own_work BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX work_returns_trajectory ON work_returns (trajectory_id, recorded_at);

CREATE TABLE aftercare_checkins (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    week INTEGER NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('due', 'done', 'skipped')),
    note TEXT,
    skip_reason TEXT,
    completed_at TIMESTAMP,
    completed_by TEXT REFERENCES users (id),
    reminder_sent_at TIMESTAMP,
    overdue_reminder_sent_at TIMESTAMP
);
CREATE INDEX aftercare_due ON aftercare_checkins (status, due_on);
CREATE INDEX aftercare_trajectory ON aftercare_checkins (trajectory_id);
