-- time: one row per distinct play start_time, broken into calendar units (UTC).
-- weekday: 0 = Sunday ... 6 = Saturday.
INSERT INTO "time" (start_time, hour, day, week, month, year, weekday)
SELECT DISTINCT p.start_time,
       CAST(EXTRACT(hour FROM p.start_time) AS INTEGER),
       CAST(EXTRACT(day FROM p.start_time) AS INTEGER),
       CAST(EXTRACT(week FROM p.start_time) AS INTEGER),
       CAST(EXTRACT(month FROM p.start_time) AS INTEGER),
       CAST(EXTRACT(year FROM p.start_time) AS INTEGER),
       CAST(EXTRACT(dow FROM p.start_time) AS INTEGER)
FROM songplays p
WHERE NOT EXISTS (SELECT 1 FROM "time" t WHERE t.start_time = p.start_time);
