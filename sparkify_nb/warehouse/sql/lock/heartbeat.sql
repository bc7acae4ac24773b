-- The holder is alive: push its expiry on.
UPDATE load_lock SET heartbeat = %(now)s, expires_at = %(expires_at)s WHERE holder = %(holder)s;
