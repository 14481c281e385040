-- Sharded: create tlssniff.connections (schema.sql) on every node of the
-- cluster (`ON CLUSTER`, or once per node), then this table over them.
-- Records are spread by client address, so each client's rows live on one
-- shard; the views (views.sql) work unchanged when created over
-- tlssniff.connections_all instead of tlssniff.connections:
--
--   sed 's/tlssniff\.connections\b/tlssniff.connections_all/g' views.sql
--
-- The cluster name is your remote_servers entry.

CREATE TABLE IF NOT EXISTS tlssniff.connections_all AS tlssniff.connections
ENGINE = Distributed('tlssniff_cluster', 'tlssniff', 'connections', cityHash64(client_ip));
