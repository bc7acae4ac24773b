-- Free vs paid: how much is played on each level, by how many users, and how many
-- users changed level during the period?
-- A play's level is the user's level when it was played. users_switched_in counts users
-- with a play at this level right after a play at the other level: on the 'paid' row
-- the users who upgraded, on the 'free' row those who downgraded. A user who played on
-- both levels counts once on each row; users_all_levels (the same on every row) counts each
-- user once, whatever the level. Ties in start_time are broken by songplay_id.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL.
WITH plays AS (
    SELECT songplay_id, start_time, user_id, level
    FROM songplays
    WHERE level IN ('free', 'paid')
      AND (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
      AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
),
sequenced AS (
    SELECT user_id, level,
           LAG(level) OVER (PARTITION BY user_id ORDER BY start_time, songplay_id) AS previous_level
    FROM plays
    WHERE user_id IS NOT NULL AND user_id <> -1  -- not the unknown user (plays without a userId)
),
switched AS (
    SELECT level, COUNT(DISTINCT NULLIF(user_id, -1)) AS users_switched_in
    FROM sequenced
    WHERE previous_level IS NOT NULL AND previous_level <> level
    GROUP BY level
),
everyone AS (
    SELECT COUNT(DISTINCT NULLIF(user_id, -1)) AS users_all_levels
    FROM plays
),
totals AS (
    SELECT level, COUNT(*) AS plays, COUNT(DISTINCT NULLIF(user_id, -1)) AS users
    FROM plays
    GROUP BY level
)
SELECT t.level, t.plays, t.users, COALESCE(s.users_switched_in, 0) AS users_switched_in, e.users_all_levels
FROM totals t
CROSS JOIN everyone e
LEFT JOIN switched s ON s.level = t.level
ORDER BY t.level;
