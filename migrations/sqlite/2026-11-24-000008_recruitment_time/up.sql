-- Time the coach spent on recruiting the employee (approaching, the inclusion guide, the
-- invitation talk), in minutes; NULL while not recorded. The process evaluation reports it as
-- part of the time invested.
ALTER TABLE trajectories ADD COLUMN recruitment_minutes INTEGER CHECK (recruitment_minutes BETWEEN 0 AND 6000);
