-- Rows whose key is NULL, over the fact and every dimension: must be none.
SELECT (SELECT COUNT(*) FROM songplays WHERE start_time IS NULL)
     + (SELECT COUNT(*) FROM users WHERE user_id IS NULL)
     + (SELECT COUNT(*) FROM songs WHERE song_id IS NULL)
     + (SELECT COUNT(*) FROM artists WHERE artist_id IS NULL)
     + (SELECT COUNT(*) FROM "time" WHERE start_time IS NULL);
