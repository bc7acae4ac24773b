-- artists: one row per artist_id (several songs share an artist; keep one consistent version).
CREATE TEMP TABLE new_artists AS
SELECT artist_id, name, location, latitude, longitude
FROM (
    SELECT artist_id, artist_name AS name, artist_location AS location,
           artist_latitude AS latitude, artist_longitude AS longitude,
           ROW_NUMBER() OVER (PARTITION BY artist_id
                              ORDER BY artist_latitude IS NULL, artist_name, artist_location) AS rn
    FROM staging_songs
    WHERE artist_id IS NOT NULL
) ranked
WHERE rn = 1;

DELETE FROM artists USING new_artists WHERE artists.artist_id = new_artists.artist_id;

INSERT INTO artists (artist_id, name, location, latitude, longitude)
SELECT artist_id, name, location, latitude, longitude FROM new_artists;

DROP TABLE new_artists;
