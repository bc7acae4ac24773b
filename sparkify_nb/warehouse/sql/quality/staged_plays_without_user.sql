-- Staged plays whose userId is empty or not a number: they go to the unknown user (-1).
SELECT COUNT(*) FROM staging_events
WHERE page = 'NextSong' AND ts IS NOT NULL AND (user_id IS NULL OR NOT user_id ~ '^[0-9]{1,9}$');
