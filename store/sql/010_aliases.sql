-- sipvault schema v10: aliases (issue 14), names for a CIDR prefix, an IP:port or a HEP capture id.
-- Owned by the api like api_users (002): admins manage them over /api/v1/aliases; the api caches
-- them, the parser reads them read-only for its SIP KPI labels (store/alias_reader.h).
-- One row per target; several rows may share a name (an SBC with two addresses). `target` is the
-- canonical text of store/alias_table.h (192.0.2.0/24, 192.0.2.10:5060, [2001:db8::1]:5060,
-- capture:2001), unique so that one address never has two names of the same precedence.
CREATE TABLE IF NOT EXISTS api_aliases (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARBINARY(64) NOT NULL,
  target VARBINARY(64) NOT NULL,
  note VARBINARY(255) NOT NULL DEFAULT '',
  created_by VARBINARY(64) NOT NULL,
  created_us BIGINT UNSIGNED NOT NULL,
  updated_us BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ux_target (target),
  KEY ix_name (name)
) ENGINE=InnoDB;
