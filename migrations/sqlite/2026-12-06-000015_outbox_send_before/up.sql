-- Mail that is no use after a moment (an invitation to a group session that has begun) carries
-- that moment; the worker stops it instead of sending it late.
ALTER TABLE outbox ADD COLUMN send_before TIMESTAMP;
-- Links queued before: they expire as their links do (written as diesel writes timestamps).
UPDATE outbox SET send_before = strftime('%Y-%m-%d %H:%M:%f', created_at, '+15 minutes') WHERE template = 'magic-link';
UPDATE outbox SET send_before = strftime('%Y-%m-%d %H:%M:%f', created_at, '+72 hours') WHERE template = 'password-link';
