-- Mail that is no use after a moment (an invitation to a group session that has begun) carries
-- that moment; the worker stops it instead of sending it late.
ALTER TABLE outbox ADD COLUMN send_before TIMESTAMP;
-- Links queued before: they expire as their links do.
UPDATE outbox SET send_before = created_at + INTERVAL '15 minutes' WHERE template = 'magic-link';
UPDATE outbox SET send_before = created_at + INTERVAL '72 hours' WHERE template = 'password-link';
