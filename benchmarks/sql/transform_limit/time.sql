-- The transform limit, time: one row per distinct play start_time, the calendar units with the
-- expressions of transform/time.sql, in start_time order.
INSERT INTO "time" (start_time, hour, day, week, month, year, weekday)
SELECT s.start_time,
       CAST(DATE_PART('hour', s.start_time) AS INTEGER),
       CAST(DATE_PART('day', s.start_time) AS INTEGER),
       CAST(DATE_PART('week', s.start_time) AS INTEGER),
       CAST(DATE_PART('month', s.start_time) AS INTEGER),
       CAST(DATE_PART('year', s.start_time) AS INTEGER),
       CAST(DATE_PART('dow', s.start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM songplays) s
ORDER BY s.start_time;
