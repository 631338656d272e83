-- Each trajectory is a learning round of its own (`courses::rounds`): when an employee's next
-- trajectory begins (they agree to the method on it, or it is started), their course and page
-- rows of earlier trajectories move here, kept with the trajectory they were made in. Their
-- course list starts afresh, with the new plan; the inzage, the trajectory's own progress and the
-- evaluation still read these rows.
CREATE TABLE past_course_progress (
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_page_id TEXT,
    celebration TEXT,
    celebrated_at TIMESTAMP,
    reflection TEXT,
    reflection_choice TEXT CHECK (reflection_choice IN ('coach_talk', 'group_session', 'both', 'none')),
    reflected_at TIMESTAMP,
    completed_at TIMESTAMP,
    completed_via TEXT CHECK (completed_via IN ('online', 'paper')),
    completed_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    talk_asked_trajectory_id TEXT,
    PRIMARY KEY (trajectory_id, course_slug)
);
CREATE INDEX past_course_progress_user ON past_course_progress (user_id);

CREATE TABLE past_page_progress (
    trajectory_id TEXT NOT NULL REFERENCES trajectories (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    page_id TEXT NOT NULL,
    page_hash TEXT NOT NULL,
    visited_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    answers TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (trajectory_id, course_slug, page_id)
);
CREATE INDEX past_page_progress_user ON past_page_progress (user_id);

-- Rows of an earlier round already in the list: a course started before a later trajectory of the
-- same employee was created, where that later one began (the person agreed to the method on it, or
-- it was started) and is not their first. A row the employee worked on again after that trajectory
-- began stays in their list: moving it now would take work of the running round out of it. Each
-- moved row goes to the trajectory the evaluation counted it for (`evaluation::periods`): the
-- latest one created by its start, else the first.
INSERT INTO past_course_progress (trajectory_id, user_id, course_slug, started_at, last_page_id, celebration,
    celebrated_at, reflection, reflection_choice, reflected_at, completed_at, completed_via, completed_by,
    updated_at, talk_asked_trajectory_id)
SELECT COALESCE(
        (SELECT o.id FROM trajectories o WHERE o.employee_id = p.user_id AND o.created_at <= p.started_at
         ORDER BY o.created_at DESC, o.id DESC LIMIT 1),
        (SELECT o.id FROM trajectories o WHERE o.employee_id = p.user_id ORDER BY o.created_at, o.id LIMIT 1)),
    p.user_id, p.course_slug, p.started_at, p.last_page_id, p.celebration, p.celebrated_at, p.reflection,
    p.reflection_choice, p.reflected_at, p.completed_at, p.completed_via, p.completed_by, p.updated_at,
    p.talk_asked_trajectory_id
FROM course_progress p
WHERE EXISTS (
    SELECT 1 FROM trajectories t
    WHERE t.employee_id = p.user_id AND p.started_at < t.created_at
      AND EXISTS (SELECT 1 FROM trajectories f WHERE f.employee_id = t.employee_id AND f.created_at < t.created_at)
      -- Not touched since that trajectory began: its start or its first method consent, whichever
      -- came first (none of either: not begun, the comparison with NULL is not true).
      AND p.updated_at < (
          SELECT MIN(b.at) FROM (
              SELECT e.at AS at FROM trajectory_events e
              WHERE e.trajectory_id = t.id AND e.from_status = 'proposed' AND e.to_status = 'active'
              UNION ALL
              SELECT k.recorded_at AS at FROM consents k
              WHERE k.trajectory_id = t.id AND k.kind = 'method' AND k.given = TRUE
          ) b
      )
);
INSERT INTO past_page_progress (trajectory_id, user_id, course_slug, page_id, page_hash, visited_at, done_at,
    answers, updated_at)
SELECT c.trajectory_id, g.user_id, g.course_slug, g.page_id, g.page_hash, g.visited_at, g.done_at, g.answers,
    g.updated_at
FROM page_progress g JOIN past_course_progress c ON c.user_id = g.user_id AND c.course_slug = g.course_slug;
DELETE FROM page_progress WHERE EXISTS (SELECT 1 FROM past_course_progress c
    WHERE c.user_id = page_progress.user_id AND c.course_slug = page_progress.course_slug);
DELETE FROM course_progress WHERE EXISTS (SELECT 1 FROM past_course_progress c
    WHERE c.user_id = course_progress.user_id AND c.course_slug = course_progress.course_slug);
