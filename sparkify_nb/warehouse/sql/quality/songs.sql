-- The checks of songs, one statement: each column is one check of warehouse/quality.py, named by its alias.
SELECT counts.row_count, counts.not_null_song_id, duplicates.unique_song_id, orphans.artist_id_in_artists
FROM (
    -- row_count and not_null: one scan of songs
    SELECT COUNT(*) AS row_count,
           COUNT(CASE WHEN song_id IS NULL THEN 1 END) AS not_null_song_id
    FROM songs
) counts
CROSS JOIN (
    -- unique: rows beyond the first with the same song_id (NULLs count as equal); neither target
    -- enforces keys (warehouse.schema), so this is the guard against duplicates
    SELECT COALESCE(SUM(copies - 1), 0) AS unique_song_id
    FROM (SELECT COUNT(*) AS copies FROM songs GROUP BY song_id HAVING COUNT(*) > 1) repeated
) duplicates
CROSS JOIN (
    -- relationship: songs whose artist_id is set but names no artist
    SELECT COUNT(*) AS artist_id_in_artists
    FROM songs s
    WHERE s.artist_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM artists a WHERE a.artist_id = s.artist_id)
) orphans;
