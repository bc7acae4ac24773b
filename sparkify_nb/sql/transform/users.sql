-- users: one row per user, with the names and level of their most recent event.
-- userId is a string in the logs and empty for logged-out events: only digits count.
CREATE TEMP TABLE new_users AS
SELECT user_id, first_name, last_name, gender, level
FROM (
    SELECT CAST(user_id AS INTEGER) AS user_id, first_name, last_name, gender, level,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC, item_in_session DESC) AS rn
    FROM staging_events
    WHERE user_id ~ '^[0-9]{1,9}$'
) ranked
WHERE rn = 1;

DELETE FROM users USING new_users WHERE users.user_id = new_users.user_id;

INSERT INTO users (user_id, first_name, last_name, gender, level)
SELECT user_id, first_name, last_name, gender, level FROM new_users;

DROP TABLE new_users;
