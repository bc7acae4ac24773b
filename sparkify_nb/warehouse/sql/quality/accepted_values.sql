-- accepted_values: rows of {table} whose {column} is set to something else than {values}.
SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN ({values});
