-- sys_load_error_detail (Serverless; provisioned too): the records the last COPY into one
-- table in this session rejected. The view has no raw_line or raw_field_value (stl_load_errors
-- has), so those come back NULL: the file and line say where to look.
-- https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_ERROR_DETAIL.html
-- Its query ids come from the SYS views, so the COPY is found in sys_load_history by this
-- session's process id (pg_backend_pid(): the Data API session or the psycopg2 connection).
-- Parameters: table_name, the staging table the COPY loaded, and qualified_name, the same with its schema
-- (public.<table>): SYS_LOAD_HISTORY documents table_name as "the name of the table" without saying whether
-- it carries the schema (https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_HISTORY.html; unconfirmed),
-- and matching only one form would report 0 rejects when it is the other.
SELECT TRIM(file_name) AS filename, line_number, TRIM(column_name) AS colname, TRIM(column_type) AS type,
       TRIM(column_length) AS col_length, CAST(NULL AS VARCHAR(1024)) AS raw_line,
       CAST(NULL AS VARCHAR(1024)) AS raw_field_value, error_code AS err_code, TRIM(error_message) AS err_reason
FROM sys_load_error_detail
WHERE query_id = (SELECT MAX(query_id) FROM sys_load_history
                  WHERE session_id = pg_backend_pid() AND TRIM(table_name) IN (CAST(%(table_name)s AS VARCHAR(65535)), CAST(%(qualified_name)s AS VARCHAR(65535))))
ORDER BY filename, line_number
