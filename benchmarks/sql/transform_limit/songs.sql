-- The transform limit (benchmarks.measure.transform_limit), songs: the same rows as
-- sparkify_nb/warehouse/sql/transform/songs.sql gives an empty table, in one INSERT ... SELECT
-- (PostgreSQL's DISTINCT ON keeps the first row of each song_id in the same order).
INSERT INTO songs (song_id, title, artist_id, year, duration)
SELECT DISTINCT ON (song_id) song_id, title, artist_id, year, duration
FROM staging_songs
WHERE song_id IS NOT NULL
ORDER BY song_id, title, artist_id;
