-- Give the lock up (only our own row).
DELETE FROM load_lock WHERE holder = CAST(%(holder)s AS VARCHAR(65535));
