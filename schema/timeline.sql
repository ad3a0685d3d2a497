-- timeline.sql — the timeline database: every input's rows in one SQLite file.
--
-- Compiled into the binary (build/gen/schema_sql.c); the running program never reads this
-- file. Bump TL_SCHEMA_VERSION in analyzer/timeline.h with any change here.
--
-- Time columns: ts_us is UTC microseconds since the epoch; ts_local_us is the device's wall
-- clock as written in the input (same unit), kept so that a zone learned later (bundle,
-- --tz) can re-resolve rows; tz_state says how ts_us was obtained:
--   line     the line carried its own UTC offset
--   file     the offset came from another line of the same file
--   zone     the device's zone (running-config, else show clock, else the one offset its other
--            logs' lines carry; sources.tz_source says which)
--   cli      the zone given with --tz
--   pending  not resolved yet (between a source's commit and the zone pass of the same run)
--   assumed  nothing was known; local time taken as UTC (the report flags it)

CREATE TABLE IF NOT EXISTS sources (
    id            INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,      -- what the user sees: a file path, or "bundle.tgz:member/path"
    bundle        TEXT,               -- the archive or folder it came from (NULL: a loose file)
    member        TEXT,               -- its path inside the bundle
    kind          TEXT NOT NULL,      -- ikemgr-log, ...
    device        TEXT,               -- hostname/serial when known
    sha256        TEXT,               -- of the bytes as stored (compressed if .gz); a later source
                                      -- of the same kind and hash is skipped as a duplicate, unless
                                      -- empty (all empty files share one hash)
    bytes         INTEGER,            -- bytes read after decompression
    units         INTEGER,            -- lines or frames
    parsed        INTEGER,
    unparsed      INTEGER,            -- parsed + unparsed = units
    errors        INTEGER,            -- diagnostics of severity error
    warnings      INTEGER,
    tz            TEXT,               -- e.g. "-07:00", "Europe/Berlin"
    tz_source     TEXT,               -- line | config | clock | cli | logs | assumed | pending (zone.c)
    tz_assumed    INTEGER NOT NULL DEFAULT 0,
    first_local_us INTEGER,           -- device-local time range of the source
    last_local_us  INTEGER,
    ev_first      INTEGER,            -- id ranges of its events and ike_messages rows (one
    ev_last       INTEGER,            -- transaction per source makes them contiguous)
    msg_first     INTEGER,
    msg_last      INTEGER,
    msg_rows      INTEGER,            -- its ike_messages rows, as stored less what rotation
                                      -- overlaps dropped (the checklist reads no message)
    dup_rows      INTEGER,            -- rows dropped as already held by an overlapping source
    exchanges     INTEGER,            -- its requests paired into exchanges, as the last pairing
    answered      INTEGER,            -- left them, and how many of those were answered (the
                                      -- totals without a scan of the exchanges view)
    own_addrs     INTEGER,            -- a capture: how many of its device's own addresses were known
                                      -- (and gave its messages' dir) when it was read
    addrs_listed  INTEGER,            -- 1: device_addrs holds every own address its rows show
    ingested_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    line        INTEGER NOT NULL,
    ts_us       INTEGER NOT NULL,
    ts_local_us INTEGER NOT NULL,
    tz_state    TEXT NOT NULL,
    ts_text     TEXT NOT NULL,        -- the timestamp as written
    device      TEXT,
    kind        TEXT NOT NULL,        -- closed vocabulary: parsers/sink.c
    severity    TEXT,                 -- debug | info | notice | warning | error | critical | other | none
    level_raw   TEXT,                 -- the level token as written ("DEBG", "PERR", ...)
    gateway     TEXT,
    tunnel      TEXT,
    peer_ip     TEXT,
    gw_id       INTEGER,              -- ikemgr "{g: t}" context numbers
    tn_id       INTEGER,
    msg         TEXT NOT NULL,
    attrs_json  TEXT                  -- kind-specific fields (reason, spi, state, ...)
);

CREATE TABLE IF NOT EXISTS ike_messages (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources(id),
    origin        TEXT NOT NULL CHECK (origin IN ('pcap', 'log')),
    frame_or_line INTEGER NOT NULL,
    ts_us         INTEGER NOT NULL,
    ts_local_us   INTEGER NOT NULL,
    tz_state      TEXT NOT NULL,
    device        TEXT,
    dir           TEXT CHECK (dir IN ('sent', 'recv')),
    src_ip        TEXT,
    src_port      INTEGER,
    dst_ip        TEXT,
    dst_port      INTEGER,
    ispi          TEXT,               -- 16 hex digits
    rspi          TEXT,
    version       INTEGER,
    exch_type     INTEGER,
    flags         INTEGER,
    is_response   INTEGER,            -- 0/1; for log sends set by pairing
    msg_id        INTEGER,            -- for log sends set by pairing from the response
    expected_msg_id INTEGER,          -- log: the id ikemgr expected
    length        INTEGER,
    natt          INTEGER,
    copies        INTEGER,            -- log: N of "N times of M bytes message will be sent"
    gw_id         INTEGER,
    tn_id         INTEGER,
    retransmit_of INTEGER REFERENCES ike_messages(id), -- set by pairing
    -- capture origin: the cleartext part of the message
    next_payload  INTEGER,
    length_mismatch INTEGER,          -- 1: header length disagrees with the datagram
    notify_error  INTEGER,            -- first error Notify type in cleartext
    ke_group      INTEGER,
    frag_num      INTEGER,            -- IKEv2 fragmentation (SKF)
    frag_total    INTEGER,
    liveness      INTEGER,            -- 0..100: empty INFORMATIONAL (liveness) by size
    payloads      TEXT,               -- readable payload chain
    -- a logged request of ours that opened an exchange: the exchange itself (the `exchanges`
    -- view reads it from here). The log pairer holds our request back until it is answered,
    -- so the row is written once, with these; xch_retransmits is set on every such row.
    xch_response_id INTEGER,
    xch_rtt_us      INTEGER,
    xch_retransmits INTEGER,
    xch_initiator   TEXT
);

-- ESP packets of captures per (src, dst, SPI, encapsulation) and 10-second bucket.
CREATE TABLE IF NOT EXISTS esp_counts (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources(id),
    device          TEXT,
    src_ip          TEXT NOT NULL,
    dst_ip          TEXT NOT NULL,
    spi             INTEGER NOT NULL,
    natt            INTEGER NOT NULL,
    bucket_start_us INTEGER NOT NULL,
    packets         INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    first_frame     INTEGER,
    last_frame      INTEGER,
    min_seq         INTEGER,
    max_seq         INTEGER
);

-- The device's own addresses each source shows (the local end of a log's sends, a gateway's
-- local IP), so that pairing need not scan every logged message to find them.
CREATE TABLE IF NOT EXISTS device_addrs (
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    device      TEXT,
    ip          TEXT NOT NULL
);

-- NAT keepalives of captures (one 0xFF byte on UDP 4500, RFC 3948) per (src, dst) and 10-second
-- bucket: a NATed peer that still sends them is reachable in that direction.
CREATE TABLE IF NOT EXISTS nat_keepalives (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources(id),
    device          TEXT,
    src_ip          TEXT NOT NULL,
    dst_ip          TEXT NOT NULL,
    bucket_start_us INTEGER NOT NULL,
    packets         INTEGER NOT NULL,
    first_frame     INTEGER,
    last_frame      INTEGER
);

-- Requests paired with their responses (analyzer/pairing.c). rtt_us runs from the last
-- copy of the request sent before the response; retransmits counts the extra copies.
-- Keyed by the request (DESIGN.md's columns): a request is in one exchange, every lookup is by
-- it, and a key that is the table's own costs no index.
--
-- DESIGN.md's `exchanges` is a view of two stores. Our own logged requests carry their
-- exchange in their row (ike_messages.xch_*): a 1 GiB debug log has 1.9 M of them, and a row
-- of their own was a quarter of the writer thread's work, which bounds reading such a log.
-- Every other exchange is a row of exchange_rows: the peer's logged requests and a capture's
-- (their request is stored before the answer comes, and rewriting a stored row costs several
-- inserts), and all of a log paired again by the whole pass. An exchange is in one of the two.
CREATE TABLE IF NOT EXISTS exchange_rows (
    request_id  INTEGER PRIMARY KEY REFERENCES ike_messages(id),
    origin      TEXT NOT NULL,
    response_id INTEGER REFERENCES ike_messages(id),
    rtt_us      INTEGER,
    retransmits INTEGER NOT NULL DEFAULT 0,
    initiator   TEXT CHECK (initiator IN ('local', 'peer')) -- NULL: a capture that does not say
);

-- SQLite flattens the union into a query that joins it by request_id (two lookups by rowid).
CREATE VIEW IF NOT EXISTS exchanges AS
    SELECT id AS request_id, origin, xch_response_id AS response_id, xch_rtt_us AS rtt_us,
           xch_retransmits AS retransmits, xch_initiator AS initiator
      FROM ike_messages WHERE xch_retransmits IS NOT NULL
    UNION ALL
    SELECT request_id, origin, response_id, rtt_us, retransmits, initiator FROM exchange_rows;

-- Units that did not become typed rows: all are counted in sources.unparsed, the first
-- 1000 per source are kept here.
CREATE TABLE IF NOT EXISTS unparsed (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    line        INTEGER NOT NULL,
    byte_offset INTEGER,
    reason      TEXT NOT NULL,
    text        TEXT NOT NULL
);

-- Located problems with the inputs themselves (truncation, over-long lines, bad bytes).
CREATE TABLE IF NOT EXISTS diagnostics (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER REFERENCES sources(id),
    path        TEXT NOT NULL,
    line        INTEGER,
    byte_offset INTEGER,
    severity    TEXT NOT NULL CHECK (severity IN ('warning', 'error')),
    check_name  TEXT NOT NULL,
    message     TEXT NOT NULL
);

-- Everything found in the inputs, understood or not: a tech-support file holds hundreds of
-- members and each one is accounted for (ingested, duplicate, not understood, refused...).
CREATE TABLE IF NOT EXISTS inventory (
    id          INTEGER PRIMARY KEY,
    bundle      TEXT,
    member      TEXT,
    bytes       INTEGER,
    kind        TEXT,
    status      TEXT NOT NULL,
    detail      TEXT,
    source_id   INTEGER REFERENCES sources(id)
);

-- The second seed's case-data checklist per device (artifacts.c): present or not, and why it
-- matters; the report turns it into "what to ask the customer for".
CREATE TABLE IF NOT EXISTS artifacts (
    id      INTEGER PRIMARY KEY,
    device  TEXT,
    item    TEXT NOT NULL,
    present INTEGER NOT NULL,
    detail  TEXT,
    why     TEXT
);

-- Values of CLI outputs (techsupport "> command" sections): one row per key of an object.
-- occurrence numbers repeated sections of the same command (1 = first in the file).
CREATE TABLE IF NOT EXISTS cli_values (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    line        INTEGER NOT NULL,
    device      TEXT,
    command     TEXT NOT NULL,
    occurrence  INTEGER NOT NULL,
    object      TEXT,
    key         TEXT NOT NULL,
    value       TEXT
);

-- Facts about a device: hostname, serial, model, sw-version, timezone, clock, ...
CREATE TABLE IF NOT EXISTS device_facts (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    line        INTEGER,
    device      TEXT,
    key         TEXT NOT NULL,
    value       TEXT
);

-- IKE gateways and IPsec tunnels from the running configuration.
CREATE TABLE IF NOT EXISTS cfg_gateways (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES sources(id),
    line                INTEGER,
    device              TEXT,
    name                TEXT NOT NULL,
    vsys                TEXT,
    peer_ip             TEXT,
    peer_fqdn           TEXT,
    peer_dynamic        INTEGER,
    local_interface     TEXT,
    local_ip            TEXT,
    ike_version         TEXT,
    ike_crypto_profile  TEXT,
    liveness_enabled    INTEGER,
    liveness_interval_s INTEGER,
    dpd_enabled         INTEGER,
    dpd_interval_s      INTEGER,
    dpd_retry           INTEGER,
    nat_traversal       INTEGER,
    passive_mode        INTEGER
);

CREATE TABLE IF NOT EXISTS cfg_tunnels (
    id                   INTEGER PRIMARY KEY,
    source_id            INTEGER NOT NULL REFERENCES sources(id),
    line                 INTEGER,
    device               TEXT,
    name                 TEXT NOT NULL,
    vsys                 TEXT,
    gateway              TEXT,
    tunnel_interface     TEXT,
    ipsec_crypto_profile TEXT,
    monitor_enabled      INTEGER,
    monitor_dest         TEXT,
    monitor_profile      TEXT
);

-- Written by `analyze` (analyzer/incidents.c), replaced by every analysis. ts_us is the
-- earliest anchor, last_us the latest; the window holds the whole liveness sequence
-- (interval_s, then the retransmit schedule_s of the device's PAN-OS version) and a little after.
CREATE TABLE IF NOT EXISTS incidents (
    id              INTEGER PRIMARY KEY,
    anchor_event_id INTEGER REFERENCES events(id), -- NULL: a state (tunnel-no-traffic)
    kind            TEXT NOT NULL,
    ts_us           INTEGER NOT NULL,
    last_us         INTEGER NOT NULL,
    window_start_us INTEGER NOT NULL,
    window_end_us   INTEGER NOT NULL,
    gateway         TEXT,
    tunnel          TEXT,
    peer_ip         TEXT,
    device          TEXT,
    interval_s      INTEGER,
    schedule_s      INTEGER
);

-- Every anchor event an incident was opened from or merged (same failure, several sources).
CREATE TABLE IF NOT EXISTS incident_anchors (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    event_id    INTEGER NOT NULL REFERENCES events(id)
);

-- One row per rule that scored above zero for an incident; rank 1 is the root cause.
CREATE TABLE IF NOT EXISTS findings (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER NOT NULL REFERENCES incidents(id),
    cause_id      TEXT NOT NULL,
    score         REAL NOT NULL,
    rank          INTEGER NOT NULL,
    summary       TEXT,
    evidence_json TEXT             -- [{source, line | frame, time, ts_us, text}]
);

-- One chronological view over everything that has a time.
CREATE VIEW IF NOT EXISTS timeline AS
    SELECT e.ts_us, e.tz_state, s.path AS source, e.line AS unit, e.device, e.kind,
           e.gateway, e.tunnel, e.peer_ip, e.msg AS text
      FROM events e JOIN sources s ON s.id = e.source_id
    UNION ALL
    SELECT m.ts_us, m.tz_state, s.path, m.frame_or_line, m.device,
           'ike-' || COALESCE(m.dir, 'msg'), NULL, NULL,
           CASE m.dir WHEN 'sent' THEN m.dst_ip ELSE m.src_ip END,
           COALESCE(m.dir, '?') || ' ' || COALESCE(m.length, '?') || ' bytes' ||
           COALESCE(' exch ' || m.exch_type, '') || COALESCE(' msgid ' || m.msg_id, '')
      FROM ike_messages m JOIN sources s ON s.id = m.source_id;

-- Exchanges with both ends' times and addresses.
CREATE VIEW IF NOT EXISTS exchange_detail AS
    SELECT x.request_id, x.response_id, x.origin, x.initiator, q.ts_us AS request_us, r.ts_us AS response_us,
           x.rtt_us, x.retransmits, q.msg_id, q.exch_type, q.length,
           CASE q.dir WHEN 'sent' THEN q.dst_ip ELSE q.src_ip END AS peer_ip,
           q.device, q.source_id, q.frame_or_line AS request_unit, r.frame_or_line AS response_unit
      FROM exchanges x
      JOIN ike_messages q ON q.id = x.request_id
      LEFT JOIN ike_messages r ON r.id = x.response_id;

-- No index on the SPIs (DESIGN.md lists one on (ispi, rspi, msg_id)): every query of the
-- analysis that names an SA also names a time window, which the time index narrows; building
-- it cost a 1 M-packet capture 0.45 s of its 0.69 s index phase. The one lookup by SPI alone
-- (an anchor that names its SA only by SPIs, incidents.c) builds it on demand:
--   CREATE INDEX IF NOT EXISTS ike_messages_spi ON ike_messages(ispi) WHERE ispi IS NOT NULL
-- A DB made before keeps the index it has and works.

-- Kept as the rows are stored, not built after them: messages are stored in time order (a
-- capture's frames, a log's lines), and SQLite inserts an index key past the last one without
-- a search. Built after the bulk load it cost a sort of every key, on one core, after the
-- reading: 0.8 s of a 1 GiB log's ingest; kept as the rows go in it costs the row writer
-- thread, which runs beside the parser, less than that (callgrind, 20 MB of debug log). A zone
-- applied to a large source's times drops it and builds it again (zone.c).
CREATE INDEX IF NOT EXISTS ike_messages_ts ON ike_messages(ts_us);

-- @indexes: built after a fresh bulk load, kept up to date when a DB is extended. Few on
-- ike_messages on purpose: rules read a peer's messages in an incident window, which the time
-- index narrows to a few thousand rows; every extra index costs the bulk load of a capture.
CREATE INDEX IF NOT EXISTS sources_sha256 ON sources(sha256);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts_us);
CREATE INDEX IF NOT EXISTS events_peer_ts ON events(peer_ip, ts_us);
CREATE INDEX IF NOT EXISTS events_kind_ts ON events(kind, ts_us);
CREATE INDEX IF NOT EXISTS nat_keepalives_src ON nat_keepalives(src_ip, bucket_start_us);
CREATE INDEX IF NOT EXISTS cli_values_cmd ON cli_values(command, object, key);
