-- Sessions: how many songs does a listening session hold, and how long does it last?
-- A session is a (user_id, session_id) pair; its length runs from its first play's start
-- to its last play's start, in seconds (the last song's own duration is not added: the
-- log does not say whether it was heard to the end). Only plays in the period count.
-- Seconds are counted as second boundaries crossed (as Redshift's DATEDIFF(second, ...) counts them):
-- both ends truncated to the second first, so that EXTRACT(epoch ...) is a whole number on both
-- targets. Redshift's EXTRACT of a TIMESTAMP is an INTEGER, PostgreSQL's a NUMERIC with the
-- fraction: without the truncation a session 10.6 s long was 10 s on one and 11 s on the other
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_EXTRACT_function.html, "Return type").
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level.
SELECT user_id, session_id,
       COUNT(*) AS plays,
       MIN(start_time) AS first_play,
       CAST(EXTRACT(epoch FROM DATE_TRUNC('second', MAX(start_time)))
            - EXTRACT(epoch FROM DATE_TRUNC('second', MIN(start_time))) AS BIGINT) AS length_seconds
FROM songplays
WHERE session_id IS NOT NULL
  AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
GROUP BY user_id, session_id
ORDER BY first_play, user_id, session_id;
