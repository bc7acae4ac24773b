-- The checks of time, one statement: each column is one check of warehouse/quality.py, named by its alias.
SELECT counts.row_count, counts.not_null_start_time, duplicates.unique_start_time
FROM (
    -- row_count and not_null: one scan of time
    SELECT COUNT(*) AS row_count,
           COUNT(CASE WHEN start_time IS NULL THEN 1 END) AS not_null_start_time
    FROM "time"
) counts
CROSS JOIN (
    -- unique: rows beyond the first with the same start_time (NULLs count as equal)
    SELECT COALESCE(SUM(copies - 1), 0) AS unique_start_time
    FROM (SELECT COUNT(*) AS copies FROM "time" GROUP BY start_time HAVING COUNT(*) > 1) repeated
) duplicates;
