-- not_null: rows of {table} whose {column} is NULL (a key column: must be none).
SELECT COUNT(*) FROM {table} WHERE {column} IS NULL;
