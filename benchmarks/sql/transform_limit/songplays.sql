-- The transform limit, songplays: every play once (the first copy of a repeated key in the order
-- transform/songplays.sql uses), matched to the catalogue of staged songs (the smallest song_id of
-- each title, artist name and duration to the hundredth), as that file gives an empty table.
INSERT INTO songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT DISTINCT ON (e.ts, e.user_key, COALESCE(e.session_id, -1))
       e.ts, e.user_key, e.level, c.song_id, c.artist_id, e.session_id, e.location, e.user_agent
FROM (SELECT *, CASE WHEN user_id ~ '^[0-9]{1,9}$' THEN CAST(user_id AS INTEGER) ELSE -1 END AS user_key
      FROM staging_events
      WHERE page = 'NextSong' AND ts IS NOT NULL) e
LEFT JOIN (SELECT DISTINCT ON (title, artist_name, CAST(duration AS DECIMAL(12, 2)))
                  title, artist_name, CAST(duration AS DECIMAL(12, 2)) AS duration_key, song_id, artist_id
           FROM staging_songs
           WHERE song_id IS NOT NULL
           ORDER BY title, artist_name, CAST(duration AS DECIMAL(12, 2)), song_id) c
       ON c.title = e.song AND c.artist_name = e.artist AND c.duration_key = CAST(e.length AS DECIMAL(12, 2))
ORDER BY e.ts, e.user_key, COALESCE(e.session_id, -1), e.item_in_session, e.song, e.artist, e.length;
