-- The checks of artists, one statement: each column is one check of warehouse/quality.py, named by its alias.
SELECT counts.row_count, counts.not_null_artist_id, duplicates.unique_artist_id
FROM (
    -- row_count and not_null: one scan of artists
    SELECT COUNT(*) AS row_count,
           COUNT(CASE WHEN artist_id IS NULL THEN 1 END) AS not_null_artist_id
    FROM artists
) counts
CROSS JOIN (
    -- unique: rows beyond the first with the same artist_id (NULLs count as equal)
    SELECT COALESCE(SUM(copies - 1), 0) AS unique_artist_id
    FROM (SELECT COUNT(*) AS copies FROM artists GROUP BY artist_id HAVING COUNT(*) > 1) repeated
) duplicates;
