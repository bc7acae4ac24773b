-- The current holder, if any.
SELECT holder, purpose, host, pid, since, heartbeat, expires_at FROM load_lock ORDER BY since LIMIT 1;
