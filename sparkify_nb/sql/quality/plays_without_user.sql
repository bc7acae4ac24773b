-- Plays by a user id that is missing from users: must be none.
SELECT COUNT(*) FROM songplays p
WHERE p.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = p.user_id);
