-- The checks of this load's staged events, in one scan of staging_events: each column is one check of
-- warehouse/quality.py, named by its alias. A play is a NextSong event with a time; its key is
-- (start_time, user_id or -1 for the unknown user, session_id), as sql/transform/songplays.sql makes it.
SELECT
    -- staged plays with no row in songplays under their key: must be none, whatever the source held
    -- (a play without a user goes to the unknown user, not away)
    COUNT(CASE WHEN play = 1 AND merged = 0 THEN 1 END) AS plays_not_merged,
    -- staged plays whose userId is empty or not a number: they go to the unknown user (-1)
    COUNT(CASE WHEN play = 1 AND has_user = 0 THEN 1 END) AS plays_without_user,
    -- their share of the staged plays (0 when none staged)
    CASE WHEN COUNT(CASE WHEN play = 1 THEN 1 END) = 0 THEN 0.0
         ELSE ROUND(CAST(COUNT(CASE WHEN play = 1 AND has_user = 0 THEN 1 END) AS DECIMAL(18, 4))
                    / COUNT(CASE WHEN play = 1 THEN 1 END), 4)
    END AS share_plays_without_user,
    -- NextSong events without a time (ts missing): no play can be made of them
    COUNT(CASE WHEN play_without_time = 1 THEN 1 END) AS plays_without_time,
    -- staged plays that repeat another one's key: merged as one play
    COUNT(CASE WHEN play = 1 THEN 1 END) - COUNT(DISTINCT CASE WHEN play = 1 THEN play_key END) AS repeated_plays
FROM (
    SELECT CASE WHEN e.page = 'NextSong' AND e.ts IS NOT NULL THEN 1 ELSE 0 END AS play,
           CASE WHEN e.page = 'NextSong' AND e.ts IS NULL THEN 1 ELSE 0 END AS play_without_time,
           CASE WHEN e.user_id ~ '^[0-9]{1,9}$' THEN 1 ELSE 0 END AS has_user,
           CASE WHEN p.start_time IS NULL THEN 0 ELSE 1 END AS merged,
           CAST(e.ts AS VARCHAR(32)) || '|' || COALESCE(e.user_id, '') || '|'
               || COALESCE(CAST(e.session_id AS VARCHAR(16)), '') AS play_key
    FROM staging_events e
    LEFT JOIN (SELECT DISTINCT start_time, COALESCE(user_id, -1) AS user_key, COALESCE(session_id, -1) AS session_key
               FROM songplays) p  -- DISTINCT: a staged play matches at most one key, so no row is counted twice
      ON e.page = 'NextSong' AND p.start_time = e.ts
     AND p.user_key = CASE WHEN e.user_id ~ '^[0-9]{1,9}$' THEN CAST(e.user_id AS INTEGER) ELSE -1 END
     AND p.session_key = COALESCE(e.session_id, -1)
) staged;
