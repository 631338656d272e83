-- Back into the employee's list where it holds nothing of that course: of each course, the rows
-- of the latest trajectory. Pages first, while the course's absence still tells which to take.
-- Lossy: the list has one row per course, so the rows of other earlier rounds are dropped with the
-- tables (and the evaluation no longer counts them).
INSERT INTO page_progress (user_id, course_slug, page_id, page_hash, visited_at, done_at, answers, updated_at)
SELECT g.user_id, g.course_slug, g.page_id, g.page_hash, g.visited_at, g.done_at, g.answers, g.updated_at
FROM past_page_progress g
WHERE g.trajectory_id = (SELECT MAX(q.trajectory_id) FROM past_course_progress q
                         WHERE q.user_id = g.user_id AND q.course_slug = g.course_slug)
  AND NOT EXISTS (SELECT 1 FROM course_progress c WHERE c.user_id = g.user_id AND c.course_slug = g.course_slug)
  AND NOT EXISTS (SELECT 1 FROM page_progress h
                  WHERE h.user_id = g.user_id AND h.course_slug = g.course_slug AND h.page_id = g.page_id);
INSERT INTO course_progress (user_id, course_slug, started_at, last_page_id, celebration, celebrated_at, reflection,
    reflection_choice, reflected_at, completed_at, completed_via, completed_by, updated_at, talk_asked_trajectory_id)
SELECT p.user_id, p.course_slug, p.started_at, p.last_page_id, p.celebration, p.celebrated_at, p.reflection,
    p.reflection_choice, p.reflected_at, p.completed_at, p.completed_via, p.completed_by, p.updated_at,
    p.talk_asked_trajectory_id
FROM past_course_progress p
WHERE p.trajectory_id = (SELECT MAX(q.trajectory_id) FROM past_course_progress q
                         WHERE q.user_id = p.user_id AND q.course_slug = p.course_slug)
  AND NOT EXISTS (SELECT 1 FROM course_progress c WHERE c.user_id = p.user_id AND c.course_slug = p.course_slug);
DROP TABLE past_page_progress;
DROP TABLE past_course_progress;
