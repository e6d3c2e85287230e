-- sipvault schema v12: call-quality reports (issue 15). One row per report block: what one side
-- measured about one RTP stream (an RTCP SR/RR report block or XR VoIP-metrics block, an RTCP JSON
-- report, an X-RTP-Stat / P-RTP-Stat header, an RFC 6035 vq-rtcpxr PUBLISH, the agent's own RTP
-- statistics). Columns: store/stored_rows.h (QosRow); the decoders: qos/.
--   id                     writer-issued (row_ids.h), as every capture table
--   capture_us             when the report was captured (the SIP message's time for headers/PUBLISH)
--   call_id_hash, call_id  the call it belongs to: HEP correlation id (chunk 17), the SIP message's
--                          Call-ID, or vq-rtcpxr CallID; 0 / '' when the report came uncorrelated
--                          (the api then matches it by the media addresses of the call's SDP)
--   source                 1 rtcp (raw HEP 5), 2 rtcp_json (HEP 5 JSON), 3 rtp_stat_header,
--                          4 vq_rtcpxr, 5 agent_rtp (HEP 34 from sipvault-agent)
--   report_type            RTCP packet type (200 SR, 201 RR, 207 XR); 0 when not RTCP
--   direction              0 received: a receiver's view of the stream (loss, jitter);
--                          1 sent: a sender's own counters (SR sender info, X-RTP-Stat PS)
--   src_ip .. dst_port     the reporter's and its peer's addresses (the report packet's for RTCP;
--                          the stream's for agent_rtp; the report's own for vq-rtcpxr); empty / 0
--                          when unknown (an X-RTP-Stat header knows only the call)
--   ssrc, reporter_ssrc    the stream the figures describe; who measured (0 = unknown)
--   packets                packets received (direction 0) or sent (1); NULL unknown
--   lost                   cumulative packets lost (RTCP's signed 24-bit counter); NULL unknown
--   highest_seq            extended highest sequence number received; NULL unknown. The api
--                          computes the loss between consecutive reports of one (reporter, ssrc)
--                          from lost and highest_seq; cumulative counters are never read as
--                          interval loss (the classic MOS bug)
--   fraction_lost          0..1 over the sender's report interval (RTCP's 8-bit fraction); NULL
--   jitter_ms, rtt_ms      interarrival jitter; round-trip time (LSR/DLSR, XR, report); NULL
--   mos                    1..5: reported (vq-rtcpxr MOSCQ, XR, header) or estimated (G.107
--                          E-model, qos/emodel.h); NULL unknown
--   codec                  as the report names it ('' unknown)
--   capture_id, node       HEP capture id and node name of the report
-- PRIMARY KEY (capture_us, id) keeps it time-clustered like sip_messages; ix_call finds a call's
-- reports; ix_src finds reports sent from a media address the call's SDP named, in a time window.
-- Partitioned, maintained and retained with the calls class's retention (writer).
CREATE TABLE IF NOT EXISTS sip_qos (
  id               BIGINT UNSIGNED   NOT NULL,
  capture_us       BIGINT UNSIGNED   NOT NULL,
  call_id_hash     BIGINT UNSIGNED   NOT NULL,
  call_id          VARBINARY(255)    NOT NULL,
  source           TINYINT UNSIGNED  NOT NULL,
  report_type      TINYINT UNSIGNED  NOT NULL,
  direction        TINYINT UNSIGNED  NOT NULL,
  src_ip           VARBINARY(16)     NOT NULL,
  dst_ip           VARBINARY(16)     NOT NULL,
  src_port         SMALLINT UNSIGNED NOT NULL,
  dst_port         SMALLINT UNSIGNED NOT NULL,
  ssrc             INT UNSIGNED      NOT NULL,
  reporter_ssrc    INT UNSIGNED      NOT NULL,
  packets          BIGINT UNSIGNED   NULL,
  lost             BIGINT            NULL,
  highest_seq      INT UNSIGNED      NULL,
  fraction_lost    FLOAT             NULL,
  jitter_ms        FLOAT             NULL,
  rtt_ms           FLOAT             NULL,
  mos              FLOAT             NULL,
  codec            VARBINARY(32)     NOT NULL,
  capture_id       INT UNSIGNED      NOT NULL,
  node             VARBINARY(64)     NOT NULL,
  shard_id         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (capture_us, id),
  KEY ix_call (call_id_hash),
  KEY ix_src (src_ip, src_port, capture_us)
) ENGINE=InnoDB PAGE_COMPRESSED=1
PARTITION BY RANGE (capture_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
