-- row_count: rows of {table}.
SELECT COUNT(*) FROM {table};
