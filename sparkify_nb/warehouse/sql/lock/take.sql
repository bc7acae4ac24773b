-- Take the lock when nobody holds it or the holder's heartbeat expired, in one transaction:
-- LOCK serialises every taker ("The LOCK command obtains a table-level lock in ACCESS EXCLUSIVE
-- mode, waiting if necessary for any conflicting locks to be released ... The lock is released
-- when the transaction that contains the LOCK command completes",
-- https://docs.aws.amazon.com/redshift/latest/dg/r_LOCK.html; the same on PostgreSQL).
LOCK TABLE load_lock;

DELETE FROM load_lock WHERE expires_at < CAST(%(now)s AS TIMESTAMP);

INSERT INTO load_lock (holder, purpose, host, pid, since, heartbeat, expires_at)
SELECT CAST(%(holder)s AS VARCHAR(65535)), CAST(%(purpose)s AS VARCHAR(65535)), CAST(%(host)s AS VARCHAR(65535)), CAST(%(pid)s AS INTEGER), CAST(%(now)s AS TIMESTAMP), CAST(%(now)s AS TIMESTAMP), CAST(%(expires_at)s AS TIMESTAMP)
WHERE NOT EXISTS (SELECT 1 FROM load_lock);
