DROP INDEX outbox_recipient;
ALTER TABLE outbox DROP COLUMN recipient_id;
