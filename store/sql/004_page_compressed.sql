-- sipvault schema v4: the capture tables are InnoDB page-compressed (issue 17; measured in
-- bench/README.md "Bytes on disk per message").
-- Each 16 KiB page is compressed as it is written and the blocks it no longer needs are punched
-- out of the file, so the disk holds ~0.5x the raw SIP instead of ~2.2x: the compressor sees a
-- whole page of messages (Via, From, To, Call-ID repeat across them), which the per-message LZ4 of
-- `raw` cannot. Reads decompress a page once per buffer-pool load; inserts are unchanged.
-- The algorithm is the server's innodb_compression_algorithm: deploy/mariadb.sh sets lz4 when
-- Debian's mariadb-plugin-provider-lz4 is installed (cheapest CPU), else zlib level 1; a server
-- left at the default (zlib 6) works too, at more CPU per page written.
-- On an existing install each ALTER rebuilds the table once (every row copied): minutes per ten
-- million rows, during which the writer waits (its spool, if configured, takes the traffic).
ALTER TABLE sip_messages PAGE_COMPRESSED=1;
ALTER TABLE sip_rejects PAGE_COMPRESSED=1;
ALTER TABLE hep_other PAGE_COMPRESSED=1;
