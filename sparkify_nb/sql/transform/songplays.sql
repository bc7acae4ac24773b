-- songplays: one row per NextSong event, every one of them.
-- Matching rule: a play gets song_id and artist_id when a staged song has the same
-- title, the same artist name and the same duration to the hundredth of a second;
-- otherwise both are NULL (the play still counts for play-hour questions).
-- Where several catalogue songs match, the smallest song_id is taken, so a play is
-- never counted twice. A play already in songplays (same start_time, user and
-- session) is not added again: re-running the load adds nothing.
CREATE TEMP TABLE catalogue AS
SELECT title, artist_name, duration_key, song_id, artist_id
FROM (
    SELECT title, artist_name, CAST(duration AS DECIMAL(12, 2)) AS duration_key, song_id, artist_id,
           ROW_NUMBER() OVER (PARTITION BY title, artist_name, CAST(duration AS DECIMAL(12, 2))
                              ORDER BY song_id) AS rn
    FROM staging_songs
    WHERE song_id IS NOT NULL
) ranked
WHERE rn = 1;

CREATE TEMP TABLE new_plays AS
SELECT e.ts AS start_time,
       CASE WHEN e.user_id ~ '^[0-9]{1,9}$' THEN CAST(e.user_id AS INTEGER) END AS user_id,
       e.level, c.song_id, c.artist_id, e.session_id, e.location, e.user_agent
FROM staging_events e
LEFT JOIN catalogue c
       ON c.title = e.song
      AND c.artist_name = e.artist
      AND c.duration_key = CAST(e.length AS DECIMAL(12, 2))
WHERE e.page = 'NextSong' AND e.ts IS NOT NULL;

INSERT INTO songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT n.start_time, n.user_id, n.level, n.song_id, n.artist_id, n.session_id, n.location, n.user_agent
FROM new_plays n
WHERE NOT EXISTS (
    SELECT 1 FROM songplays p
    WHERE p.start_time = n.start_time
      AND COALESCE(p.user_id, -1) = COALESCE(n.user_id, -1)
      AND COALESCE(p.session_id, -1) = COALESCE(n.session_id, -1)
);

DROP TABLE new_plays;
DROP TABLE catalogue;
