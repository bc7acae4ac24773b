-- One rejected record of a COPY, as Redshift's stl_load_errors (and sys_load_error_detail) shows it.
-- Written on a connection of its own: it survives the rollback of the COPY.
INSERT INTO rehearsal_internal.load_errors (
    userid, slice, tbl, starttime, session, query, filename, line_number, colname, type, col_length, position,
    raw_line, raw_field_value, err_code, err_reason, is_partial, start_offset, copy_job_id, database_name)
VALUES (%(userid)s, 0, %(tbl)s, %(starttime)s, %(session)s, %(query)s, %(filename)s, %(line_number)s, %(colname)s,
        %(type)s, %(col_length)s, 0, %(raw_line)s, %(raw_field_value)s, %(err_code)s, %(err_reason)s, 0, 0, 0,
        %(database_name)s)
