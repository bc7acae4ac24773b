-- songs: one row per song_id; a song seen again is replaced by its staged version.
CREATE TEMP TABLE new_songs AS
SELECT song_id, title, artist_id, year, duration
FROM (
    SELECT song_id, title, artist_id, year, duration,
           ROW_NUMBER() OVER (PARTITION BY song_id ORDER BY title, artist_id) AS rn
    FROM staging_songs
    WHERE song_id IS NOT NULL
) ranked
WHERE rn = 1;

DELETE FROM songs USING new_songs WHERE songs.song_id = new_songs.song_id;

INSERT INTO songs (song_id, title, artist_id, year, duration)
SELECT song_id, title, artist_id, year, duration FROM new_songs;

DROP TABLE new_songs;
