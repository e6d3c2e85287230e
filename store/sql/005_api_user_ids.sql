-- sipvault schema v5: sessions and API tokens bound to the user's id, not only the name (issue 18
-- item 15). A user deleted and created again under the same name is a new row with a new id, so
-- a session or token left over from the old one (a login racing the delete) never works for it.
-- Every statement may run again (a start that died half-way). Rows from before v5 are bound to the user of their name as it is now.
ALTER TABLE api_users ADD COLUMN IF NOT EXISTS id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY IF NOT EXISTS ux_id (id);

ALTER TABLE api_sessions ADD COLUMN IF NOT EXISTS user_id BIGINT UNSIGNED NOT NULL DEFAULT 0, ADD KEY IF NOT EXISTS ix_user_id (user_id);

ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS user_id BIGINT UNSIGNED NOT NULL DEFAULT 0, ADD KEY IF NOT EXISTS ix_user_id (user_id);

UPDATE api_sessions s JOIN api_users u ON u.username = s.username SET s.user_id = u.id;

UPDATE api_tokens t JOIN api_users u ON u.username = t.username SET t.user_id = u.id;
