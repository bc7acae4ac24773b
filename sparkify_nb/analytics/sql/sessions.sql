-- Sessions: how many songs does a listening session hold, and how long does it last?
-- A session is a (user_id, session_id) pair; its length runs from its first play's start
-- to its last play's start, in seconds (the last song's own duration is not added: the
-- log does not say whether it was heard to the end). Only plays in the period count.
-- EXTRACT(epoch FROM timestamp) gives seconds since 1970 on Redshift and PostgreSQL alike.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level.
SELECT user_id, session_id,
       COUNT(*) AS plays,
       MIN(start_time) AS first_play,
       CAST(EXTRACT(epoch FROM MAX(start_time)) - EXTRACT(epoch FROM MIN(start_time)) AS BIGINT) AS length_seconds
FROM songplays
WHERE session_id IS NOT NULL
  AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
  AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
  AND (%(level)s = 'all' OR level = %(level)s)
GROUP BY user_id, session_id
ORDER BY first_play, user_id, session_id;
