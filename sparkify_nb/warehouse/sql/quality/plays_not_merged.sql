-- Staged NextSong events with no play in songplays: must be none (every play is kept,
-- matched to a song or not).
SELECT COUNT(*) FROM staging_events e
WHERE e.page = 'NextSong' AND e.ts IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM songplays p
                  WHERE p.start_time = e.ts AND COALESCE(p.session_id, -1) = COALESCE(e.session_id, -1));
