-- Staged plays (NextSong events with a time) with no row in songplays under their key
-- (start_time, user_id or -1 for the unknown user, session_id): must be none, whatever the
-- source held (a play without a user goes to the unknown user, not away).
SELECT COUNT(*) FROM staging_events e
WHERE e.page = 'NextSong' AND e.ts IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM songplays p
                  WHERE p.start_time = e.ts
                    AND COALESCE(p.user_id, -1) = CASE WHEN e.user_id ~ '^[0-9]{1,9}$'
                                                       THEN CAST(e.user_id AS INTEGER) ELSE -1 END
                    AND COALESCE(p.session_id, -1) = COALESCE(e.session_id, -1));
