-- songplays: one row per play (NextSong event with a time), every one of them.
--
-- Matching rule: a play gets song_id and artist_id when a known song has the same title,
-- the same artist name and the same duration to the hundredth of a second (the log's
-- `length` and the song file's `duration` are the same number for the same recording);
-- otherwise both are NULL, and the play still counts for play-hour questions. Known songs
-- are the staged ones (with the artist name of their own file) plus, for a daily load that
-- stages only new song files, the songs merged before (with their artist's name in
-- artists). Where several songs match, the smallest song_id is taken, so a play is never
-- counted twice. Effect: the share of matched plays depends on how much of the catalogue
-- is known; quality reports it. A play's match is fixed when it is first merged.
--
-- A play without a valid user (userId empty or not a number) goes to the unknown user,
-- user_id -1 (users.sql adds that member): it stays in every play count, joins to users
-- like any play, and quality counts these plays and stops 03 above
-- [quality] max_share_plays_without_user.
--
-- Incremental and idempotent: a play is identified by (start_time, user_id, session_id),
-- and added only when songplays does not hold it yet. Re-running adds nothing; a new
-- day's file adds exactly its plays. Identical events (the same key twice in the source:
-- an app that re-sent an event) are one play, the first copy in a fixed order; quality
-- counts the extra copies.
--
-- One pass over the staged plays: numbering the copies of each key sorts the batch's plays
-- once (in memory at 1M events with the transform's work_mem), which costs less than what it
-- replaced (EXPLAIN ANALYZE, docs/scaling.md section 5): the plays written to a temporary
-- table, then read back three times (a hash aggregate of the repeated keys, one insert for
-- keys staged once, one for keys staged more than once).
CREATE TEMP TABLE catalogue AS
SELECT title, artist_name, duration_key, song_id, artist_id
FROM (
    SELECT title, artist_name, duration_key, song_id, artist_id,
           ROW_NUMBER() OVER (PARTITION BY title, artist_name, duration_key ORDER BY song_id) AS rn
    FROM (
        SELECT title, artist_name, CAST(duration AS DECIMAL(12, 2)) AS duration_key, song_id, artist_id
        FROM staging_songs
        WHERE song_id IS NOT NULL
        UNION ALL
        SELECT s.title, a.name, CAST(s.duration AS DECIMAL(12, 2)), s.song_id, s.artist_id
        FROM songs s
        JOIN artists a ON a.artist_id = s.artist_id
        WHERE NOT EXISTS (SELECT 1 FROM staging_songs st WHERE st.song_id = s.song_id)
    ) known
) ranked
WHERE rn = 1;

-- Keys of this batch already in songplays (none on a first load).
CREATE TEMP TABLE merged_plays AS
SELECT DISTINCT p.start_time, COALESCE(p.user_id, -1) AS user_key, COALESCE(p.session_id, -1) AS session_key
FROM songplays p
WHERE p.start_time IN (SELECT ts FROM staging_events WHERE page = 'NextSong' AND ts IS NOT NULL);

-- Every new key once: its first copy in a fixed order (nearly every key has one copy).
INSERT INTO songplays (start_time, user_id, level, song_id, artist_id, session_id, location, user_agent)
SELECT start_time, user_id, level, song_id, artist_id, session_id, location, user_agent
FROM (
    SELECT n.start_time, n.user_id, n.level, n.song_id, n.artist_id, n.session_id, n.session_key,
           n.location, n.user_agent,
           ROW_NUMBER() OVER (PARTITION BY n.start_time, n.user_id, n.session_key
                              ORDER BY n.item_in_session, n.song, n.artist, n.length) AS copy_no
    FROM (
        SELECT e.ts AS start_time,
               CASE WHEN e.user_id ~ '^[0-9]{1,9}$' THEN CAST(e.user_id AS INTEGER) ELSE -1 END AS user_id,
               e.level, c.song_id, c.artist_id, e.session_id, COALESCE(e.session_id, -1) AS session_key,
               e.location, e.user_agent, e.item_in_session, e.song, e.artist, e.length
        FROM staging_events e
        LEFT JOIN catalogue c
               ON c.title = e.song
              AND c.artist_name = e.artist
              AND c.duration_key = CAST(e.length AS DECIMAL(12, 2))
        WHERE e.page = 'NextSong' AND e.ts IS NOT NULL
    ) n
) numbered
WHERE copy_no = 1
  AND NOT EXISTS (SELECT 1 FROM merged_plays m
                  WHERE m.start_time = numbered.start_time
                    AND m.user_key = numbered.user_id
                    AND m.session_key = numbered.session_key);

DROP TABLE merged_plays;
DROP TABLE catalogue;
