-- users: one row per user, with the names and level of their most recent event
-- (latest ts; within the same millisecond the later item of the session wins).
-- userId is a string in the logs and empty for logged-out events: only digits count.
-- Staging holds every staged event, so "most recent" is over all of them; a user seen
-- again is replaced by that version (delete-then-insert upsert), which is how a change
-- from free to paid reaches users.
CREATE TEMP TABLE new_users AS
SELECT user_id, first_name, last_name, gender, level
FROM (
    SELECT CAST(user_id AS INTEGER) AS user_id, first_name, last_name, gender, level,
           ROW_NUMBER() OVER (PARTITION BY CAST(user_id AS INTEGER)
                              ORDER BY ts DESC, session_id DESC, item_in_session DESC, level DESC) AS rn
    FROM staging_events
    WHERE user_id ~ '^[0-9]{1,9}$' AND ts IS NOT NULL
) ranked
WHERE rn = 1;

DELETE FROM users USING new_users WHERE users.user_id = new_users.user_id;

INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM new_users;

DROP TABLE new_users;

-- The unknown user (Kimball's "unknown member" of a dimension): plays whose event has no
-- valid userId point at user_id -1 (songplays.sql), so no play is dropped and every play
-- joins to users. Added the first time such a play is staged; level and gender unknown.
INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT -1, 'Unknown', 'user', NULL, NULL
WHERE EXISTS (SELECT 1 FROM staging_events
              WHERE page = 'NextSong' AND ts IS NOT NULL
                AND (user_id IS NULL OR NOT user_id ~ '^[0-9]{1,9}$'))
  AND NOT EXISTS (SELECT 1 FROM users WHERE user_id = -1);
