-- Plays whose start_time is missing from time: must be none.
SELECT COUNT(*) FROM songplays p WHERE NOT EXISTS (SELECT 1 FROM "time" t WHERE t.start_time = p.start_time);
