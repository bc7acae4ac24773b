-- One COPY, as Redshift's sys_load_history shows it (status completed or aborted).
INSERT INTO rehearsal_internal.load_history (
    user_id, query_id, status, session_id, database_name, table_name, start_time, end_time, duration, data_source,
    file_format, loaded_rows, loaded_bytes, source_file_count, source_file_bytes, file_count_scanned,
    file_bytes_scanned, error_count, copy_job_id)
VALUES (%(user_id)s, %(query_id)s, %(status)s, %(session_id)s, %(database_name)s, %(table_name)s, %(start_time)s,
        %(end_time)s, %(duration)s, %(data_source)s, 'JSON', %(loaded_rows)s, %(bytes)s, %(files)s, %(bytes)s,
        %(files)s, %(bytes)s, %(error_count)s, 0)
