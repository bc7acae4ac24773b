-- Top songs: which catalogue songs are played most?
-- Only plays matched to the song catalogue have a song_id (how many do depends on the data), so
-- this ranks songs among matched plays; matched_plays is their total in the period,
-- the base of each song's share. Ties: more plays first, then title, then song_id.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level; top_n, written into
-- the text as a number by analytics.queries._query (LIMIT takes a count, not a bound parameter).
WITH plays AS (
    SELECT song_id
    FROM songplays
    WHERE song_id IS NOT NULL
      AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
      AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
      AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
),
matched AS (
    SELECT COUNT(*) AS matched_plays FROM plays
)
SELECT s.song_id, s.title, a.name AS artist, COUNT(*) AS plays, m.matched_plays
FROM plays p
JOIN songs s ON s.song_id = p.song_id
LEFT JOIN artists a ON a.artist_id = s.artist_id
CROSS JOIN matched m
GROUP BY s.song_id, s.title, a.name, m.matched_plays
ORDER BY plays DESC, s.title, s.song_id
LIMIT %(top_n)s;
