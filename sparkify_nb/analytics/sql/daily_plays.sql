-- Daily plays over time: is listening growing? One row per UTC calendar day that
-- has plays (analytics.daily_plays adds the days without any as 0).
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level.
SELECT CAST(start_time AS DATE) AS day,
       COUNT(*) AS plays,
       COUNT(DISTINCT NULLIF(user_id, -1)) AS users
FROM songplays
WHERE (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
GROUP BY 1
ORDER BY 1;
