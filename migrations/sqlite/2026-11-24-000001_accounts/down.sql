DROP TABLE login_throttle;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE cohorts;
DROP TABLE organizations;
