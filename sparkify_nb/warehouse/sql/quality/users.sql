-- The checks of users, one statement: each column is one check of warehouse/quality.py, named by its alias.
SELECT counts.row_count, counts.not_null_user_id, duplicates.unique_user_id, counts.accepted_level,
       counts.accepted_gender
FROM (
    -- row_count, not_null and accepted_values (set to something else than the accepted values): one scan
    SELECT COUNT(*) AS row_count,
           COUNT(CASE WHEN user_id IS NULL THEN 1 END) AS not_null_user_id,
           COUNT(CASE WHEN level IS NOT NULL AND level NOT IN ('free', 'paid') THEN 1 END) AS accepted_level,
           COUNT(CASE WHEN gender IS NOT NULL AND gender NOT IN ('F', 'M') THEN 1 END) AS accepted_gender
    FROM users
) counts
CROSS JOIN (
    -- unique: rows beyond the first with the same user_id (NULLs count as equal)
    SELECT COALESCE(SUM(copies - 1), 0) AS unique_user_id
    FROM (SELECT COUNT(*) AS copies FROM users GROUP BY user_id HAVING COUNT(*) > 1) repeated
) duplicates;
