-- The method's records. Free-text fields are for work matters only: never medical details.
CREATE TABLE trajectories (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    employee_id TEXT NOT NULL REFERENCES users (id),
    coach_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'returned', 'aftercare', 'closed', 'stopped')),
    stop_reason TEXT CHECK (stop_reason IN ('medical', 'too_difficult', 'not_behaviour_related', 'privacy_research', 'other')),
    stop_note TEXT,
    -- JSON: the inclusion guide's answers
    inclusion_answers TEXT NOT NULL,
    inclusion_advice TEXT NOT NULL CHECK (inclusion_advice IN ('include', 'exclude')),
    inclusion_override_reason TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX trajectories_coach ON trajectories (coach_id, id);
CREATE INDEX trajectories_org ON trajectories (organization_id, id);
CREATE INDEX trajectories_employee ON trajectories (employee_id);
-- At most one open trajectory per employee.
CREATE UNIQUE INDEX trajectories_one_open ON trajectories (employee_id) WHERE status NOT IN ('closed', 'stopped');

CREATE TABLE trajectory_events (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    note TEXT,
    actor_id TEXT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX trajectory_events_trajectory ON trajectory_events (trajectory_id, at);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    kind TEXT NOT NULL CHECK (kind IN ('method', 'research')),
    given BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    on_behalf_of_employee BOOLEAN NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX consents_trajectory ON consents (trajectory_id, recorded_at);

CREATE TABLE absences (
    id TEXT PRIMARY KEY NOT NULL,
    employee_id TEXT NOT NULL REFERENCES users (id),
    start_date DATE NOT NULL,
    end_date DATE,
    percentage INTEGER NOT NULL CHECK (percentage BETWEEN 1 AND 100),
    category TEXT CHECK (category IN ('physical', 'psychological', 'both', 'unknown')),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX absences_employee ON absences (employee_id, start_date);

CREATE TABLE intakes (
    trajectory_id TEXT PRIMARY KEY NOT NULL REFERENCES trajectories (id),
    -- JSON: factor -> {score 1-5, note}
    factors TEXT NOT NULL,
    -- JSON: goals, basic needs under pressure, expectations
    goals TEXT NOT NULL,
    basic_needs TEXT NOT NULL,
    expectations TEXT NOT NULL,
    shared_with_employee BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE plans (
    trajectory_id TEXT PRIMARY KEY NOT NULL REFERENCES trajectories (id),
    -- JSON array of course slugs
    course_order TEXT NOT NULL,
    first_course_reason TEXT,
    focus_courses TEXT NOT NULL,
    -- JSON: slug -> online | paper
    course_modes TEXT NOT NULL,
    digital_skills_pretrack BOOLEAN NOT NULL,
    group_sessions_interest BOOLEAN NOT NULL,
    buddy_interest BOOLEAN NOT NULL,
    help_needed TEXT,
    shared_with_employee BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE logbook_entries (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    entry_date DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('intake', 'coaching_talk', 'phone', 'message', 'home_visit', 'group_follow_up', 'other')),
    duration_minutes INTEGER NOT NULL,
    preparation_minutes INTEGER NOT NULL,
    led_by TEXT NOT NULL CHECK (led_by IN ('employee', 'coach', 'together')),
    impression TEXT,
    agreements TEXT,
    developments TEXT,
    next_appointment DATE,
    shared_with_employee BOOLEAN NOT NULL,
    -- JSON: the weighing (the coach's private reflection), or NULL
    weighing TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX logbook_trajectory ON logbook_entries (trajectory_id, entry_date);
CREATE INDEX logbook_author ON logbook_entries (author_id);

-- Corrections made more than 7 days after an entry keep the version before the change.
CREATE TABLE logbook_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL REFERENCES logbook_entries (id),
    -- JSON: the entry as it was
    previous TEXT NOT NULL,
    revised_by TEXT NOT NULL REFERENCES users (id),
    revised_at TIMESTAMP NOT NULL
);
CREATE INDEX logbook_revisions_entry ON logbook_revisions (entry_id);

-- Each save of the work-values card is kept, so change can be shown.
CREATE TABLE work_value_snapshots (
    id TEXT PRIMARY KEY NOT NULL,
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    -- JSON: value -> {important, circle, note}
    card TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX work_values_trajectory ON work_value_snapshots (trajectory_id, recorded_at);
