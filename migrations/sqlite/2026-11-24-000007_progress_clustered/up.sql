-- SQLite only: an employee's progress rows are stored together, in key order (WITHOUT ROWID),
-- instead of in insertion order with a separate key index. Reading one employee's courses is
-- then one range scan instead of a key lookup plus a table lookup per row; rows saved weeks apart
-- no longer sit on different pages. PostgreSQL keeps its heap tables and key indexes.
-- The index course_progress_user is dropped: the key (user_id, course_slug) starts with user_id.

CREATE TABLE course_progress_clustered (
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
) WITHOUT ROWID;
INSERT INTO course_progress_clustered SELECT user_id, course_slug, started_at, last_page_id, celebration,
    celebrated_at, reflection, reflection_choice, reflected_at, completed_at, completed_via, completed_by, updated_at
    FROM course_progress;
DROP TABLE course_progress;
ALTER TABLE course_progress_clustered RENAME TO course_progress;

CREATE TABLE page_progress_clustered (
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
) WITHOUT ROWID;
INSERT INTO page_progress_clustered SELECT user_id, course_slug, page_id, page_hash, visited_at, done_at, answers,
    updated_at FROM page_progress;
DROP TABLE page_progress;
ALTER TABLE page_progress_clustered RENAME TO page_progress;
