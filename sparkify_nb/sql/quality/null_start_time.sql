-- Plays without a start time: must be none (the fact's sort and distribution key).
SELECT COUNT(*) FROM songplays WHERE start_time IS NULL;
