-- The holder is alive: push its expiry on.
UPDATE load_lock SET heartbeat = CAST(%(now)s AS TIMESTAMP), expires_at = CAST(%(expires_at)s AS TIMESTAMP) WHERE holder = CAST(%(holder)s AS VARCHAR(65535));
