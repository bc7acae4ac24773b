-- The transform limit, users: each user's latest version, plus the unknown user (-1) when a play
-- has no valid userId, as transform/users.sql gives an empty table.
INSERT INTO users (user_id, first_name, last_name, gender, level)
(SELECT DISTINCT ON (CAST(user_id AS INTEGER)) CAST(user_id AS INTEGER), first_name, last_name, gender, level
 FROM staging_events
 WHERE user_id ~ '^[0-9]{1,9}$' AND ts IS NOT NULL
 ORDER BY CAST(user_id AS INTEGER), ts DESC, session_id DESC, item_in_session DESC, level DESC)
UNION ALL
SELECT -1, 'Unknown', 'user', NULL, NULL
WHERE EXISTS (SELECT 1 FROM staging_events
              WHERE page = 'NextSong' AND ts IS NOT NULL
                AND (user_id IS NULL OR NOT user_id ~ '^[0-9]{1,9}$'));
