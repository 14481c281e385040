-- tlssniff connection records in ClickHouse: one row per TLS connection,
-- loaded straight from `tlssniff --format jsonl`:
--
--   clickhouse-client --query "INSERT INTO tlssniff.connections
--       SETTINGS input_format_skip_unknown_fields = 1 FORMAT JSONEachRow" < records.jsonl
--
-- Objects of the record (client, server, client_hello, server_hello,
-- alerts) are kept as their JSON text, and the columns the views group by
-- are derived from them at insert (MATERIALIZED). Fields the table does
-- not name are skipped, so records from a newer tlssniff still load.
-- The views (views.sql) compute the figures of tlssniff's own summary.

CREATE DATABASE IF NOT EXISTS tlssniff;

CREATE TABLE IF NOT EXISTS tlssniff.connections
(
    ts            DateTime64(6, 'UTC'),
    sensor        LowCardinality(String),
    client        String,          -- {"ip","port"}
    server        String,          -- {"ip","port"}
    client_hello  String,          -- the ClientHello's facts ('' when none)
    server_hello  String,          -- the ServerHello's facts ('' when none)
    version       Nullable(String),
    cipher        Nullable(String),
    offers_3des   Bool,
    uses_3des     Bool,
    legacy        Bool,
    alerts        String,          -- [{"from","level","description","code"}]
    outcome       LowCardinality(String),
    handshake_ms  Nullable(Float64),
    resumed       Nullable(Bool),
    reason        Nullable(String),
    readiness     LowCardinality(String),
    ja3           Nullable(String),
    ja4           Nullable(String),
    app           LowCardinality(Nullable(String)),
    source        LowCardinality(String),
    transport     LowCardinality(String),
    community_id  Nullable(String),  -- joins with Zeek, Suricata, Elastic

    client_ip     String MATERIALIZED JSONExtractString(client, 'ip'),
    client_port   UInt16 MATERIALIZED JSONExtractUInt(client, 'port'),
    server_ip     String MATERIALIZED JSONExtractString(server, 'ip'),
    server_port   UInt16 MATERIALIZED JSONExtractUInt(server, 'port'),
    sni           Nullable(String) MATERIALIZED JSONExtract(client_hello, 'sni', 'Nullable(String)'),
    max_offered   Nullable(String) MATERIALIZED JSONExtract(client_hello, 'max_version', 'Nullable(String)'),
    fallback_scsv Bool MATERIALIZED JSONExtractBool(client_hello, 'fallback_scsv'),
    downgrade_sentinel Nullable(String)
                  MATERIALIZED JSONExtract(server_hello, 'downgrade_sentinel', 'Nullable(String)'),
    -- The alert that decided the outcome: the first fatal one, else the first.
    decisive_alert String MATERIALIZED if(
        arrayExists(a -> JSONExtractString(a, 'level') = 'fatal', JSONExtractArrayRaw(alerts)),
        arrayFirst(a -> JSONExtractString(a, 'level') = 'fatal', JSONExtractArrayRaw(alerts)),
        arrayElement(JSONExtractArrayRaw(alerts), 1)),
    -- The server refused the connection for its versions or suites
    -- (protocol_version 70, handshake_failure 40, insufficient_security 71).
    refused_by_server Bool MATERIALIZED outcome = 'rejected'
        AND JSONExtractString(decisive_alert, 'from') = 'server'
        AND JSONExtractUInt(decisive_alert, 'code') IN (70, 40, 71),
    -- Per-client and per-server mixes name the versions tlssniff names and
    -- fold anything else (drafts, unknown values) into 'other', as the
    -- summary does.
    version_row   Nullable(String) MATERIALIZED multiIf(version IS NULL, NULL,
        version IN ('SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3',
                    'DTLS 1.0', 'DTLS 1.2', 'DTLS 1.3', 'DTLS 0x0100'), version, 'other'),
    max_offered_row Nullable(String) MATERIALIZED multiIf(max_offered IS NULL, NULL,
        max_offered IN ('SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3',
                        'DTLS 1.0', 'DTLS 1.2', 'DTLS 1.3', 'DTLS 0x0100'), max_offered, 'other'),
    -- SSL 2.0 = 1 ... TLS 1.3 = 6; 0 for anything else (or none).
    version_rank  UInt8 MATERIALIZED indexOf(
        ['SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3'], ifNull(version, '')),
    -- Failure outcomes (every outcome but these is one).
    failed        Bool MATERIALIZED outcome NOT IN
        ('established', 'unencrypted', 'one_sided', 'not_logged', 'intercepted')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (client_ip, server_ip, ts);
