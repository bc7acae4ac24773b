-- stl_load_errors (provisioned clusters only): the records that made this session's last COPY into
-- one table abort (more than MAXERROR rejects). An aborted COPY leaves no pg_last_copy_id() to go
-- by, but its rows stay in stl_load_errors: system log tables are not rolled back with the load
-- (the COPY's own error says "Check 'stl_load_errors' system table for details").
-- tbl is the table id of stv_tbl_perm, as in AWS's own example query.
-- https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html
-- Parameter: table_name, the staging table the COPY loaded.
SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, TRIM(type) AS type,
       TRIM(col_length) AS col_length, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value,
       err_code, TRIM(err_reason) AS err_reason
FROM stl_load_errors
WHERE query = (SELECT MAX(query) FROM stl_load_errors
               WHERE session = pg_backend_pid()
                 AND tbl IN (SELECT id FROM stv_tbl_perm WHERE TRIM(name) = CAST(%(table_name)s AS VARCHAR(65535))))
ORDER BY filename, line_number
