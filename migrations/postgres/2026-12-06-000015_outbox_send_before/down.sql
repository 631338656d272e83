ALTER TABLE outbox DROP COLUMN send_before;
