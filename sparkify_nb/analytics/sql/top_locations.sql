-- Top locations: where are the listeners? songplays.location is the user's location as
-- the app logged it with the play; plays without a location are left out.
-- Ties: more plays first, then location.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level; top_n, written into
-- the text as a number by analytics.queries._query (LIMIT takes a count, not a bound parameter).
SELECT location, COUNT(*) AS plays, COUNT(DISTINCT NULLIF(user_id, -1)) AS users
FROM songplays
WHERE location IS NOT NULL AND location <> ''
  AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
GROUP BY location
ORDER BY plays DESC, location
LIMIT %(top_n)s;
