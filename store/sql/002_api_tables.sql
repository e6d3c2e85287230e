-- sipvault schema v2: the api's own tables (users, login sessions, API tokens), owned by store/
-- like every other table and applied by the same migrator (the writer and the api both run it at
-- start; whichever comes first creates them). Until v2 the api created these itself with the same
-- CREATE TABLE IF NOT EXISTS statements, so an older install moves forward without change.
-- Names and hashes only: passwords are PBKDF2 hashes, session and API tokens SHA-256 hashes.
CREATE TABLE IF NOT EXISTS api_users (
  username VARBINARY(64) NOT NULL,
  role VARBINARY(16) NOT NULL,
  password_hash VARBINARY(255) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (username)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS api_sessions (
  token_hash BINARY(32) NOT NULL,
  username VARBINARY(64) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  expires_us BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (token_hash),
  KEY ix_user (username),
  KEY ix_expires (expires_us)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS api_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  token_hash BINARY(32) NOT NULL,
  name VARBINARY(128) NOT NULL,
  username VARBINARY(64) NOT NULL,
  role VARBINARY(16) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  expires_us BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ux_token (token_hash),
  KEY ix_user (username)
) ENGINE=InnoDB;
