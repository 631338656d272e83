-- The end-of-course reflection may ask for a coaching talk and a group session both (DOMAIN.md:
-- "a coaching talk and/or a group session").
ALTER TABLE course_progress DROP CONSTRAINT course_progress_reflection_choice_check;
ALTER TABLE course_progress ADD CONSTRAINT course_progress_reflection_choice_check
    CHECK (reflection_choice IN ('coach_talk', 'group_session', 'both', 'none'));
