-- Plays by hour of day (UTC): when do people listen?
SELECT CAST(EXTRACT(hour FROM start_time) AS INTEGER) AS hour, COUNT(*) AS plays
FROM songplays
GROUP BY 1
ORDER BY 1;
