-- Share of this load's staged plays whose userId is empty or not a number (0 when none staged).
SELECT CASE WHEN COUNT(*) = 0 THEN 0.0
            ELSE ROUND(CAST(SUM(CASE WHEN user_id IS NULL OR NOT user_id ~ '^[0-9]{1,9}$' THEN 1 ELSE 0 END)
                            AS DECIMAL(18, 4)) / COUNT(*), 4)
       END
FROM staging_events
WHERE page = 'NextSong' AND ts IS NOT NULL;
