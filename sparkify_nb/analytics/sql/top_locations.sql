-- Top locations: where are the listeners? songplays.location is the user's location as
-- the app logged it with the play; plays without a location are left out.
-- Ties: more plays first, then location.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level; top_n.
SELECT location, COUNT(*) AS plays, COUNT(DISTINCT NULLIF(user_id, -1)) AS users
FROM songplays
WHERE location IS NOT NULL AND location <> ''
  AND (%(start)s IS NULL OR start_time >= %(start)s)
  AND (%(end)s IS NULL OR start_time < %(end)s)
  AND (%(level)s = 'all' OR level = %(level)s)
GROUP BY location
ORDER BY plays DESC, location
LIMIT %(top_n)s;
