-- From this version a corrected address sends again the mail given up at the old one, and what
-- calls off the thing a mail is about stops a given-up mail about it too. Mail given up before
-- may be about something called off since (a card stopped, a talk request handed to another
-- coach), or be an earlier owner's of the address: stopped, so that none of it goes out.
UPDATE outbox SET status = 'cancelled' WHERE status = 'failed';
