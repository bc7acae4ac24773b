-- PostgreSQL: the advisory lock is ours; note who holds it, for the message a waiting load shows.
-- The note expires at once: it is not the lock (the advisory lock is), and must never hold one.
DELETE FROM load_lock;

INSERT INTO load_lock (holder, purpose, host, pid, since, heartbeat, expires_at)
VALUES (%(holder)s, %(purpose)s, %(host)s, %(pid)s, %(now)s, %(now)s, %(now)s);
