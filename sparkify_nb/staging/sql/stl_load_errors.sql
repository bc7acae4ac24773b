-- stl_load_errors: the records one Redshift COPY rejected (parameter: its query id, pg_last_copy_id()).
SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, TRIM(type) AS type,
       TRIM(col_length) AS col_length, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value,
       err_code, TRIM(err_reason) AS err_reason
FROM stl_load_errors
WHERE query = %s
ORDER BY filename, line_number
