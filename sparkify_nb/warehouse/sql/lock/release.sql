-- Give the lock up (only our own row).
DELETE FROM load_lock WHERE holder = %(holder)s;
