-- relationship: rows of {table} whose {column} is set but names no row of {parent}.
SELECT COUNT(*) FROM {table} c
WHERE c.{column} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column});
