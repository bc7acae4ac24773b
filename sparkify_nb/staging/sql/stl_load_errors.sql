-- stl_load_errors (provisioned clusters only): the records one COPY rejected.
-- Parameter: query_id, that COPY's query id (pg_last_copy_id() in the COPY's session).
-- https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html
SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, TRIM(type) AS type,
       TRIM(col_length) AS col_length, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value,
       err_code, TRIM(err_reason) AS err_reason
FROM stl_load_errors
WHERE query = CAST(%(query_id)s AS INTEGER)
ORDER BY filename, line_number
