-- Plays whose user is missing from users (or that have no user id at all): must be none.
SELECT COUNT(*) FROM songplays p
WHERE p.user_id IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = p.user_id);
