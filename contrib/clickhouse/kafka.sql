-- A fleet: every sensor's tlssniff writes jsonl to one Kafka topic (through
-- Vector or Fluent Bit: see the README, "Many sensors"), and ClickHouse
-- reads the topic into tlssniff.connections (schema.sql) as it arrives.
-- Run after schema.sql; set the broker list and topic for your site.

CREATE TABLE IF NOT EXISTS tlssniff.connections_queue
(
    ts            DateTime64(6, 'UTC'),
    sensor        LowCardinality(String),
    client        String,
    server        String,
    client_hello  String,
    server_hello  String,
    version       Nullable(String),
    cipher        Nullable(String),
    offers_3des   Bool,
    uses_3des     Bool,
    legacy        Bool,
    alerts        String,
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
    community_id  Nullable(String)
)
ENGINE = Kafka
SETTINGS kafka_broker_list = 'kafka-1:9092,kafka-2:9092',
         kafka_topic_list = 'tlssniff',
         kafka_group_name = 'clickhouse-tlssniff',
         kafka_format = 'JSONEachRow',
         -- A line that does not parse is skipped and counted, not fatal.
         kafka_handle_error_mode = 'stream',
         input_format_skip_unknown_fields = 1;

-- Moves each block read from Kafka into the MergeTree table (whose
-- MATERIALIZED columns are computed on the way in).
CREATE MATERIALIZED VIEW IF NOT EXISTS tlssniff.connections_from_kafka
TO tlssniff.connections AS
SELECT ts, sensor, client, server, client_hello, server_hello, version, cipher,
       offers_3des, uses_3des, legacy, alerts, outcome, handshake_ms, resumed, reason,
       readiness, ja3, ja4, app, source, transport, community_id
FROM tlssniff.connections_queue
WHERE length(_error) = 0;
