-- unique: rows of {table} beyond the first with the same ({columns}); NULLs count as equal.
-- Neither target enforces keys (warehouse.schema), so this is the guard against duplicates.
SELECT COALESCE(SUM(copies - 1), 0)
FROM (SELECT COUNT(*) AS copies FROM {table} GROUP BY {columns} HAVING COUNT(*) > 1) repeated;
