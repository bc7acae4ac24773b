-- Staged plays that repeat another one's key (start_time, user, session_id): merged as one play.
SELECT COUNT(*) - COUNT(DISTINCT CAST(ts AS VARCHAR(32)) || '|' || COALESCE(user_id, '') || '|'
                                 || COALESCE(CAST(session_id AS VARCHAR(16)), ''))
FROM staging_events
WHERE page = 'NextSong' AND ts IS NOT NULL;
