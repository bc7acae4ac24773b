-- The Redshift system tables, views and functions the suite reads, with Redshift's columns, made in
-- every rehearsal database (schema redshift_system, last on the database's search_path, as pg_catalog
-- is on Redshift). What the endpoint keeps for itself (the cluster's users, the load logs, query ids)
-- is in schema rehearsal_internal, on no search path, its tables granted to nobody, so that no statement of a
-- user can reach it by an unqualified name (02's DROP TABLE IF EXISTS "users" once dropped the list of
-- users). The log tables are written by the endpoint on a connection of its own, so that their rows
-- survive the rollback of an aborted COPY, as Redshift's system tables do.
-- Columns: https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html,
-- https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_ERROR_DETAIL.html,
-- https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_HISTORY.html,
-- https://docs.aws.amazon.com/redshift/latest/dg/r_STV_TBL_PERM.html,
-- https://docs.aws.amazon.com/redshift/latest/dg/PG_LAST_COPY_ID.html, PG_LAST_COPY_COUNT.html.
CREATE SCHEMA redshift_system;
GRANT USAGE ON SCHEMA redshift_system TO PUBLIC;
CREATE SCHEMA rehearsal_internal;
GRANT USAGE ON SCHEMA rehearsal_internal TO PUBLIC;  -- its tables themselves are granted to nobody
-- Redshift gives every user CREATE on schema public (PostgreSQL 15+ no longer does)
GRANT CREATE ON SCHEMA public TO PUBLIC;

-- query ids of COPY and of every statement (DescribeStatement's RedshiftQueryId)
CREATE SEQUENCE rehearsal_internal.query_ids START 1000;
GRANT USAGE ON SEQUENCE rehearsal_internal.query_ids TO PUBLIC;

-- the database users of this cluster (PostgreSQL roles are server-wide; a cluster's are its own)
CREATE TABLE rehearsal_internal.users (usename name PRIMARY KEY);

CREATE TABLE rehearsal_internal.load_errors (
    userid integer, slice integer, tbl integer, starttime timestamp, session integer, query integer,
    filename char(256), line_number bigint, colname char(127), type char(10), col_length char(10),
    position integer, raw_line char(1024), raw_field_value char(1024), err_code integer,
    err_reason char(100), is_partial integer, start_offset bigint, copy_job_id bigint,
    database_name char(128)
);

CREATE TABLE rehearsal_internal.load_history (
    user_id integer, query_id bigint, status char(30), session_id integer, transaction_id bigint,
    database_name char(128), table_name char(136), start_time timestamp, end_time timestamp,
    duration bigint, data_source char(256), file_format char(16), loaded_rows bigint, loaded_bytes bigint,
    source_file_count integer, source_file_bytes bigint, file_count_scanned integer,
    file_bytes_scanned bigint, error_count bigint, copy_job_id bigint
);

-- "Superusers can see all rows; regular users can see only their own data" (STL visibility)
CREATE FUNCTION rehearsal_internal.sees(owner integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT usesuper OR usesysid = owner FROM pg_user WHERE usename = current_user
$$;

CREATE VIEW redshift_system.stl_load_errors AS
SELECT userid, slice, tbl, starttime, session, query, filename, line_number, colname, type, col_length,
       position, raw_line, raw_field_value, err_code, err_reason, is_partial, start_offset, copy_job_id
FROM rehearsal_internal.load_errors WHERE rehearsal_internal.sees(userid);

CREATE VIEW redshift_system.sys_load_error_detail AS
SELECT userid AS user_id, query::bigint AS query_id, NULL::bigint AS transaction_id, session AS session_id,
       database_name, starttime AS start_time, filename AS file_name, line_number, colname AS column_name,
       type AS column_type, col_length AS column_length, position, err_code AS error_code,
       err_reason::char(512) AS error_message, copy_job_id
FROM rehearsal_internal.load_errors WHERE rehearsal_internal.sees(userid);

CREATE VIEW redshift_system.sys_load_history AS
SELECT * FROM rehearsal_internal.load_history WHERE rehearsal_internal.sees(user_id);

CREATE VIEW redshift_system.stv_tbl_perm AS
SELECT 0 AS slice, c.oid::bigint::integer AS id, c.relname::char(72) AS name, c.reltuples::bigint AS rows,
       0::bigint AS sorted_rows, (c.relpersistence = 't')::integer AS temp,
       (SELECT oid::bigint::integer FROM pg_database WHERE datname = current_database()) AS db_id,
       0 AS insert_pristine, 0 AS delete_pristine, 1 AS backup, 0 AS dist_style, 0::bigint AS block_count
FROM pg_class c WHERE c.relkind IN ('r', 'p');

GRANT SELECT ON redshift_system.stl_load_errors, redshift_system.sys_load_error_detail,
    redshift_system.sys_load_history, redshift_system.stv_tbl_perm TO PUBLIC;

-- session-scoped, as on Redshift: the endpoint sets rehearsal.last_copy_* on the COPY's session
CREATE FUNCTION redshift_system.pg_last_copy_id() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('rehearsal.last_copy_id', true), ''), '-1')::integer
$$;
CREATE FUNCTION redshift_system.pg_last_copy_count() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('rehearsal.last_copy_count', true), ''), '0')::bigint
$$;
