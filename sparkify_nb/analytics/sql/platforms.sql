-- Platforms: on which operating systems and browsers do people listen?
-- Families come from the user agent by substring tests, most specific first: an iPhone
-- agent also says "Mac OS X", Android says "Linux", Edge and Opera say "Chrome", Chrome
-- says "Safari". POSITION(... IN ...) rather than LIKE with wildcards keeps the text free
-- of percent signs (psycopg2 reads them as placeholders); it runs on both targets alike.
-- Parameters: start (inclusive), end (exclusive) UTC timestamps or NULL; level.
WITH agents AS (
    SELECT user_id,
           CASE
               WHEN user_agent IS NULL OR user_agent = '' THEN 'Unknown'
               WHEN POSITION('iPhone' IN user_agent) > 0 OR POSITION('iPad' IN user_agent) > 0 THEN 'iOS'
               WHEN POSITION('Android' IN user_agent) > 0 THEN 'Android'
               WHEN POSITION('Windows' IN user_agent) > 0 THEN 'Windows'
               WHEN POSITION('Mac OS X' IN user_agent) > 0 OR POSITION('Macintosh' IN user_agent) > 0 THEN 'macOS'
               WHEN POSITION('Linux' IN user_agent) > 0 OR POSITION('X11' IN user_agent) > 0 THEN 'Linux'
               ELSE 'Other'
           END AS os,
           CASE
               WHEN user_agent IS NULL OR user_agent = '' THEN 'Unknown'
               WHEN POSITION('Edg' IN user_agent) > 0 THEN 'Edge'
               WHEN POSITION('OPR/' IN user_agent) > 0 OR POSITION('Opera' IN user_agent) > 0 THEN 'Opera'
               WHEN POSITION('Chrome/' IN user_agent) > 0 OR POSITION('CriOS/' IN user_agent) > 0 THEN 'Chrome'
               WHEN POSITION('Firefox/' IN user_agent) > 0 OR POSITION('FxiOS/' IN user_agent) > 0 THEN 'Firefox'
               WHEN POSITION('MSIE' IN user_agent) > 0 OR POSITION('Trident/' IN user_agent) > 0 THEN 'Internet Explorer'
               WHEN POSITION('Safari/' IN user_agent) > 0 THEN 'Safari'
               ELSE 'Other'
           END AS browser
    FROM songplays
    WHERE (CAST(%(start)s AS TIMESTAMP) IS NULL OR start_time >= CAST(%(start)s AS TIMESTAMP))
      AND (CAST(%(end)s AS TIMESTAMP) IS NULL OR start_time < CAST(%(end)s AS TIMESTAMP))
      AND (CAST(%(level)s AS VARCHAR(65535)) = 'all' OR level = CAST(%(level)s AS VARCHAR(65535)))
)
SELECT os, browser, COUNT(*) AS plays, COUNT(DISTINCT NULLIF(user_id, -1)) AS users
FROM agents
GROUP BY os, browser
ORDER BY plays DESC, os, browser;
