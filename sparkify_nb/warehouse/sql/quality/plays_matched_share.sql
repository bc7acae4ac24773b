-- Share of plays matched to a catalogue song (information: depends on the catalogue).
SELECT CASE WHEN COUNT(*) = 0 THEN 0.0
            ELSE ROUND(CAST(SUM(CASE WHEN song_id IS NOT NULL THEN 1 ELSE 0 END) AS DECIMAL(18, 4)) / COUNT(*), 4)
       END
FROM songplays;
