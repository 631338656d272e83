DROP TABLE page_progress;
DROP TABLE course_progress;
DROP TABLE course_versions;
