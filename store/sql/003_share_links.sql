-- sipvault schema v3: the api's share links (issue 16). A share link is a signed, expiring,
-- read-only link to one call; the row is what makes it revocable. Only the SHA-256 of the link's
-- token is stored. api_secrets holds the HMAC key the api generates when api.share_secret is not
-- configured, so that every api instance on one database signs and checks alike.
CREATE TABLE IF NOT EXISTS api_share_links (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  token_hash BINARY(32) NOT NULL,
  call_id VARBINARY(255) NOT NULL,
  call_ref VARBINARY(1024) NOT NULL,
  from_us BIGINT UNSIGNED NOT NULL,
  to_us BIGINT UNSIGNED NOT NULL,
  note VARBINARY(255) NOT NULL DEFAULT '',
  created_by VARBINARY(64) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  expires_us BIGINT UNSIGNED NOT NULL,
  revoked_us BIGINT UNSIGNED NOT NULL DEFAULT 0,
  revoked_by VARBINARY(64) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY ux_token (token_hash),
  KEY ix_expires (expires_us)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS api_secrets (
  name VARBINARY(64) NOT NULL,
  value VARBINARY(255) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;
