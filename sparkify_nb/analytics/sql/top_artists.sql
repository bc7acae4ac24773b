-- Top artists: whose music is played most?
-- Only plays matched to the catalogue carry an artist_id, so this ranks artists among
-- matched plays; matched_plays is their total in the period. Ties: more plays first,
-- then name, then artist_id.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level; top_n, written into
-- the text as a number by analytics.queries._query (LIMIT takes a count, not a bound parameter).
WITH plays AS (
    SELECT artist_id, user_id
    FROM songplays
    WHERE artist_id IS NOT NULL
      AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
      AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
      AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
),
matched AS (
    SELECT COUNT(*) AS matched_plays FROM plays
)
SELECT a.artist_id, a.name AS artist, COUNT(*) AS plays, COUNT(DISTINCT NULLIF(p.user_id, -1)) AS listeners,
       m.matched_plays
FROM plays p
JOIN artists a ON a.artist_id = p.artist_id
CROSS JOIN matched m
GROUP BY a.artist_id, a.name, m.matched_plays
ORDER BY plays DESC, a.name, a.artist_id
LIMIT %(top_n)s;
