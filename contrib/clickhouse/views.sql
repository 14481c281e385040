-- The figures of tlssniff's summary, as views over tlssniff.connections
-- (schema.sql). tests/clickhouse_check.py loads the jsonl of every fixture
-- and of a four-sensor set into chDB and checks each view against
-- `tlssniff --format summary-json` of the same captures.
--
-- Every view counts all sensors' records together: a client seen at two
-- sensors is judged on its connections at both. Add `WHERE sensor = '...'`
-- (or a time range on ts) for one sensor's or one week's answer.
--
-- Per-client and per-server version mixes use the folded versions
-- (version_row, max_offered_row: schema.sql); the overall mixes keep every
-- value.

-- Negotiated versions (NULL: no ServerHello, "not negotiated").
CREATE OR REPLACE VIEW tlssniff.version_mix AS
SELECT version, count() AS connections
FROM tlssniff.connections
GROUP BY version;

-- The highest version each connection offered.
CREATE OR REPLACE VIEW tlssniff.max_offered_mix AS
SELECT max_offered, count() AS connections
FROM tlssniff.connections
GROUP BY max_offered;

CREATE OR REPLACE VIEW tlssniff.outcomes AS
SELECT outcome, count() AS connections
FROM tlssniff.connections
GROUP BY outcome;

-- Connections by class against the policy the sensors ran with.
CREATE OR REPLACE VIEW tlssniff.readiness_connections AS
SELECT readiness, count() AS connections
FROM tlssniff.connections
GROUP BY readiness;

-- One row per client and version (folded).
CREATE OR REPLACE VIEW tlssniff.client_versions AS
SELECT
    client_ip,
    version_row AS version,
    count() AS connections
FROM tlssniff.connections
GROUP BY client_ip, version_row;

CREATE OR REPLACE VIEW tlssniff.client_max_offered AS
SELECT
    client_ip,
    max_offered_row AS max_offered,
    count() AS connections
FROM tlssniff.connections
GROUP BY client_ip, max_offered_row;

-- Per client: its connections, legacy use, and its readiness verdict —
-- will_break (it cannot meet the policy on any connection), mixed (on
-- some), held_back (it could, but a server chose less), ready, unknown.
CREATE OR REPLACE VIEW tlssniff.clients AS
SELECT
    client_ip,
    count() AS connections,
    countIf(offers_3des) AS offers_3des,
    countIf(uses_3des) AS uses_3des,
    countIf(legacy) AS legacy,
    countIf(failed) AS failed,
    countIf(fallback_scsv) AS fallback_scsv,
    countIf(readiness = 'meets') AS meets,
    countIf(readiness = 'client_cannot') AS client_cannot,
    countIf(readiness = 'held_back') AS held_back,
    countIf(readiness = 'unknown') AS unknown,
    multiIf(client_cannot > 0 AND meets + held_back = 0, 'will_break',
            client_cannot > 0, 'mixed',
            held_back > 0, 'held_back',
            meets + held_back > 0, 'ready',
            'unknown') AS verdict,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupUniqArray(sensor) AS sensors
FROM tlssniff.connections
GROUP BY client_ip;

CREATE OR REPLACE VIEW tlssniff.server_versions AS
SELECT
    server_ip,
    server_port,
    version_row AS version,
    count() AS connections
FROM tlssniff.connections
GROUP BY server_ip, server_port, version_row;

-- Per server (address and port): its readiness verdict — legacy_only (it
-- held every capable client back), accepts_legacy (it negotiated below the
-- policy), enforces (it refused offers below it), ready, unknown.
CREATE OR REPLACE VIEW tlssniff.servers AS
SELECT
    server_ip,
    server_port,
    count() AS connections,
    countIf(uses_3des) AS uses_3des,
    countIf(failed) AS failed,
    countIf(readiness = 'meets') AS meets,
    countIf(readiness = 'client_cannot') AS client_cannot,
    countIf(readiness = 'held_back') AS held_back,
    countIf(readiness = 'unknown') AS unknown,
    countIf(readiness IN ('client_cannot', 'held_back') AND version IS NOT NULL) AS negotiated_below,
    countIf(readiness = 'client_cannot' AND refused_by_server) AS refused_below,
    multiIf(held_back > 0 AND meets = 0, 'legacy_only',
            negotiated_below > 0, 'accepts_legacy',
            refused_below > 0, 'enforces',
            meets > 0, 'ready',
            'unknown') AS verdict,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupUniqArray(sensor) AS sensors
FROM tlssniff.connections
GROUP BY server_ip, server_port;

CREATE OR REPLACE VIEW tlssniff.readiness_clients AS
SELECT verdict, count() AS clients FROM tlssniff.clients GROUP BY verdict;

CREATE OR REPLACE VIEW tlssniff.readiness_servers AS
SELECT verdict, count() AS servers FROM tlssniff.servers GROUP BY verdict;

-- The legacy list: connections below TLS 1.2 or with a weak suite, by
-- client, server, name, version, offer and suite. server_supports is the
-- RFC 8446 downgrade sentinel: the server said it could do better.
CREATE OR REPLACE VIEW tlssniff.legacy AS
SELECT
    client_ip,
    server_ip,
    server_port,
    sni,
    version,
    max_offered,
    cipher,
    downgrade_sentinel AS server_supports,
    count() AS connections,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM tlssniff.connections
WHERE legacy
GROUP BY client_ip, server_ip, server_port, sni, version, max_offered, cipher, downgrade_sentinel;

-- Failures by reason. `reason` is the summary's: where a server refused
-- the client's versions (protocol_version), it says what the server
-- negotiates with other clients, and that can sharpen "no TLS version in
-- common" into "below the server's minimum" or "asked for more than the
-- server supports". `record_reason` is the records' own, which cannot know
-- the other connections.
CREATE OR REPLACE VIEW tlssniff.failures AS
WITH
    ['SSL 2.0', 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3'] AS ranks,
    indexOf(ranks, extract(f.record_reason, 'offered (?:only |at most )?([A-Z]+ [0-9.]+)'))
        AS offered_lowest,
    if(position(f.record_reason, ' to ') > 0,
       indexOf(ranks, extract(f.record_reason, ' to ([A-Z]+ [0-9.]+)')),
       offered_lowest) AS offered_highest,
    indexOf(ranks, s.lowest) AS seen_lowest,
    indexOf(ranks, s.highest) AS seen_highest,
    multiIf(
        startsWith(f.record_reason, 'rejected: no TLS version in common — ')
            AND seen_highest > 0 AND seen_highest < offered_lowest,
        replaceOne(f.record_reason, 'rejected: no TLS version in common — the client offered',
                   'rejected: the client asked for more than the server supports — it offered'),
        startsWith(f.record_reason, 'rejected: no TLS version in common — ')
            AND seen_lowest > offered_highest,
        replaceOne(f.record_reason, 'rejected: no TLS version in common',
                   'rejected: below the server\'s minimum TLS version'),
        f.record_reason) AS sharpened
SELECT
    f.client_ip AS client_ip,
    f.server_ip AS server_ip,
    f.server_port AS server_port,
    f.sni AS sni,
    f.outcome AS outcome,
    f.max_offered AS max_offered,
    if(match(sharpened, ' — (the client|it) offered .* \\(server alert protocol_version\\)$')
           AND seen_highest > 0,
       replaceOne(sharpened, ' (server alert protocol_version)',
                  concat('; the server negotiates ',
                         if(s.lowest = s.highest, s.highest, concat(s.lowest, ' to ', s.highest)),
                         ' with other clients (server alert protocol_version)')),
       sharpened) AS reason,
    f.record_reason AS record_reason,
    f.connections AS connections,
    f.first_seen AS first_seen,
    f.last_seen AS last_seen,
    s.lowest AS server_lowest,
    s.highest AS server_highest
FROM
(
    SELECT client_ip, server_ip, server_port, sni, outcome, max_offered,
           reason AS record_reason,
           count() AS connections, min(ts) AS first_seen, max(ts) AS last_seen
    FROM tlssniff.connections
    WHERE reason IS NOT NULL
    GROUP BY client_ip, server_ip, server_port, sni, outcome, max_offered, reason
) AS f
LEFT JOIN
(
    SELECT server_ip, server_port,
           argMin(version, rank) AS lowest, argMax(version, rank) AS highest
    FROM
    (
        SELECT server_ip, server_port, assumeNotNull(version) AS version, version_rank AS rank
        FROM tlssniff.connections
        WHERE version_rank > 0
    )
    GROUP BY server_ip, server_port
) AS s
ON f.server_ip = s.server_ip AND f.server_port = s.server_port;
