UPDATE course_progress SET reflection_choice = 'coach_talk' WHERE reflection_choice = 'both';
ALTER TABLE course_progress DROP CONSTRAINT course_progress_reflection_choice_check;
ALTER TABLE course_progress ADD CONSTRAINT course_progress_reflection_choice_check
    CHECK (reflection_choice IN ('coach_talk', 'group_session', 'none'));
