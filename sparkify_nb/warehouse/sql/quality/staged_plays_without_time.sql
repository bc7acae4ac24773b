-- Staged NextSong events without a time (ts missing): no play can be made of them.
SELECT COUNT(*) FROM staging_events WHERE page = 'NextSong' AND ts IS NULL;
