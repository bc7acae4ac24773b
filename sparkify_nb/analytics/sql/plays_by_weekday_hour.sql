-- Plays by weekday and hour of day: which hours of which days are busiest?
-- Same quarter-hour UTC buckets as plays_by_hour.sql; analytics.plays_by_weekday_hour
-- shifts them to the requested time zone and pivots to a weekday x hour matrix.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level.
SELECT DATE_TRUNC('hour', start_time) AS bucket_hour,
       CAST(EXTRACT(minute FROM start_time) AS INTEGER) / 15 AS quarter,
       COUNT(*) AS plays
FROM songplays
WHERE (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
GROUP BY 1, 2
ORDER BY 1, 2;
