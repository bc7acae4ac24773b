-- The transform limit, artists: one row per artist_id, the version transform/artists.sql keeps.
INSERT INTO artists (artist_id, name, location, latitude, longitude)
SELECT DISTINCT ON (artist_id) artist_id, artist_name, artist_location, artist_latitude, artist_longitude
FROM staging_songs
WHERE artist_id IS NOT NULL
ORDER BY artist_id, artist_latitude IS NULL, artist_name, artist_location;
