-- The checks of songplays, one statement: each column is one check of warehouse/quality.py, named by its alias.
SELECT counts.row_count, counts.not_null_start_time, counts.not_null_user_id, duplicates.unique_play_key,
       users_missing.user_id_in_users, times_missing.start_time_in_time, songs_missing.song_id_in_songs,
       artists_missing.artist_id_in_artists, counts.accepted_level, counts.share_plays_matched
FROM (
    -- row_count, not_null, accepted_values and the share of plays matched to a catalogue song
    -- (information: depends on the catalogue): one scan of songplays
    SELECT COUNT(*) AS row_count,
           COUNT(CASE WHEN start_time IS NULL THEN 1 END) AS not_null_start_time,
           COUNT(CASE WHEN user_id IS NULL THEN 1 END) AS not_null_user_id,
           COUNT(CASE WHEN level IS NOT NULL AND level NOT IN ('free', 'paid') THEN 1 END) AS accepted_level,
           CASE WHEN COUNT(*) = 0 THEN 0.0
                ELSE ROUND(CAST(COUNT(song_id) AS DECIMAL(18, 4)) / COUNT(*), 4)
           END AS share_plays_matched
    FROM songplays
) counts
CROSS JOIN (
    -- unique: rows beyond the first with the same play key (start_time, user_id, session_id); NULLs
    -- count as equal. Neither target enforces keys (warehouse.schema): this is the guard
    SELECT COALESCE(SUM(copies - 1), 0) AS unique_play_key
    FROM (SELECT COUNT(*) AS copies FROM songplays GROUP BY start_time, user_id, session_id
          HAVING COUNT(*) > 1) repeated
) duplicates
-- relationship: plays whose column is set but names no row of the parent table
CROSS JOIN (
    SELECT COUNT(*) AS user_id_in_users FROM songplays c
    WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users p WHERE p.user_id = c.user_id)
) users_missing
CROSS JOIN (
    SELECT COUNT(*) AS start_time_in_time FROM songplays c
    WHERE c.start_time IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "time" p WHERE p.start_time = c.start_time)
) times_missing
CROSS JOIN (
    SELECT COUNT(*) AS song_id_in_songs FROM songplays c
    WHERE c.song_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM songs p WHERE p.song_id = c.song_id)
) songs_missing
CROSS JOIN (
    SELECT COUNT(*) AS artist_id_in_artists FROM songplays c
    WHERE c.artist_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM artists p WHERE p.artist_id = c.artist_id)
) artists_missing;
