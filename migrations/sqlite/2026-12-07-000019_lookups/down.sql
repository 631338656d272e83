DROP INDEX aftercare_reminders;
DROP INDEX users_erased;
DROP INDEX magic_links_user;
