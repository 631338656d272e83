-- Every version of a course that was ever served, so that progress can name the exact content.
CREATE TABLE course_versions (
    id TEXT PRIMARY KEY NOT NULL,
    course_slug TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON object page_id -> page content hash
    page_hashes TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    UNIQUE (course_slug, content_hash)
);

-- One employee's state in one course. Completed when the reflection is saved online, or when the
-- coach records that the course was done in the paper map.
CREATE TABLE course_progress (
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_page_id TEXT,
    celebration TEXT,
    celebrated_at TIMESTAMP,
    reflection TEXT,
    reflection_choice TEXT CHECK (reflection_choice IN ('coach_talk', 'group_session', 'none')),
    reflected_at TIMESTAMP,
    completed_at TIMESTAMP,
    completed_via TEXT CHECK (completed_via IN ('online', 'paper')),
    completed_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_slug)
);

CREATE TABLE page_progress (
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    page_id TEXT NOT NULL,
    -- content hash of the page when it was last visited or done
    page_hash TEXT NOT NULL,
    visited_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    -- JSON: {"answers": {question_id: value}, "exercises": {number: text}}
    answers TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_slug, page_id)
);
