-- load_lock: who holds the warehouse for a load (at most one row). Not part of 02's schema,
-- so recreating the tables never drops the row of a load that is running.
CREATE TABLE IF NOT EXISTS load_lock (
    holder VARCHAR(64) NOT NULL,
    purpose VARCHAR(64),
    host VARCHAR(256),
    pid INTEGER,
    since TIMESTAMP NOT NULL,
    heartbeat TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
