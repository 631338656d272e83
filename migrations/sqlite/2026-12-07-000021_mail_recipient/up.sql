-- Whose mail it is, by account rather than by address: an address changes (and may later be
-- another account's), so the inzage and an erasure find a person's mail by this. Mail queued
-- before this column is given to the account that has its address now, as the inzage read it.
ALTER TABLE outbox ADD COLUMN recipient_id TEXT;
UPDATE outbox SET recipient_id = (SELECT u.id FROM users u WHERE u.email = outbox.to_address);
CREATE INDEX outbox_recipient ON outbox (recipient_id);
