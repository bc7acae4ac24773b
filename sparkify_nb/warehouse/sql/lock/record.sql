-- PostgreSQL: the advisory lock is ours; note who holds it, for the message a waiting load shows.
-- The note expires at once: it is not the lock (the advisory lock is), and must never hold one.
DELETE FROM load_lock;

INSERT INTO load_lock (holder, purpose, host, pid, since, heartbeat, expires_at)
VALUES (CAST(%(holder)s AS VARCHAR(65535)), CAST(%(purpose)s AS VARCHAR(65535)), CAST(%(host)s AS VARCHAR(65535)), CAST(%(pid)s AS INTEGER), CAST(%(now)s AS TIMESTAMP), CAST(%(now)s AS TIMESTAMP), CAST(%(now)s AS TIMESTAMP));
