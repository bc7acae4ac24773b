-- Plays by hour of day: when do people listen?
-- Returns quarter-hour buckets in UTC (bucket_hour = the UTC hour, quarter = 0..3);
-- analytics.plays_by_hour folds them into hours of day in UTC or any time zone, so
-- this one text runs unchanged on Redshift and PostgreSQL (no CONVERT_TIMEZONE /
-- AT TIME ZONE), and zones 30 or 45 minutes off UTC still land in the right hour.
-- Parameters: start (inclusive) and end (exclusive) UTC timestamps or NULL; level
-- 'free' | 'paid' | 'all' (the level at the time of the play).
SELECT DATE_TRUNC('hour', start_time) AS bucket_hour,
       CAST(EXTRACT(minute FROM start_time) AS INTEGER) / 15 AS quarter,
       COUNT(*) AS plays
FROM songplays
WHERE (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
GROUP BY 1, 2
ORDER BY 1, 2;
