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

-- "Superusers can see all rows; regular users can see only their own data" (STL visibility);
-- pg_catalog named: a user's own pg_user first on the search path must not decide it
CREATE FUNCTION rehearsal_internal.sees(owner integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT usesuper OR usesysid = owner FROM pg_catalog.pg_user WHERE usename = current_user
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

-- "STV_TBL_PERM is visible only to superusers" (a regular user reads no row); "the permanent tables ...,
-- including temporary tables created by a user for the current session": the users' tables, not PostgreSQL's
-- catalogs nor the rehearsal's own, a temporary table only in its own session. rows is PostgreSQL's estimate
-- (reltuples: -1 before the table's first VACUUM or ANALYZE), not Redshift's count (a known difference).
CREATE VIEW redshift_system.stv_tbl_perm AS
SELECT 0 AS slice, c.oid::bigint::integer AS id, c.relname::char(72) AS name, c.reltuples::bigint AS rows,
       0::bigint AS sorted_rows, (c.relpersistence = 't')::integer AS temp,
       (SELECT oid::bigint::integer FROM pg_database WHERE datname = current_database()) AS db_id,
       0 AS insert_pristine, 0 AS delete_pristine, 1 AS backup, 0 AS dist_style, 0::bigint AS block_count
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'rehearsal_internal')
  AND (c.relpersistence <> 't' OR c.relnamespace = pg_my_temp_schema())
  AND (SELECT usesuper FROM pg_catalog.pg_user WHERE usename = current_user);

GRANT SELECT ON redshift_system.stl_load_errors, redshift_system.sys_load_error_detail,
    redshift_system.sys_load_history, redshift_system.stv_tbl_perm TO PUBLIC;

-- session-scoped, as on Redshift: the endpoint sets rehearsal.last_copy_* on the COPY's session
CREATE FUNCTION redshift_system.pg_last_copy_id() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('rehearsal.last_copy_id', true), ''), '-1')::integer
$$;
CREATE FUNCTION redshift_system.pg_last_copy_count() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('rehearsal.last_copy_count', true), ''), '0')::bigint
$$;

-- Redshift's result types and values where PostgreSQL's differ (local/rehearsal/semantics.py rewrites
-- EXTRACT, DATEDIFF, AVG and SUM to these; the pages are cited there).
-- EXTRACT: INTEGER from TIMESTAMP, TIME, INTERVAL; DOUBLE PRECISION from TIMESTAMPTZ (r_EXTRACT_function.html).
-- millisecond / microsecond are the part within the second, as Redshift's examples show.
CREATE FUNCTION redshift_system.rs_part(part text, value double precision, seconds double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE part WHEN 'millisecond' THEN trunc(seconds * 1000)::numeric % 1000
                     WHEN 'microsecond' THEN trunc(seconds * 1000000)::numeric % 1000000
                     ELSE value END
$$;
CREATE FUNCTION redshift_system.rs_extract(part text, source timestamp) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(trunc(redshift_system.rs_part(part, date_part(CASE WHEN part IN ('millisecond', 'microsecond')
        THEN 'second' ELSE part END, source), date_part('second', source))) AS integer)
$$;
CREATE FUNCTION redshift_system.rs_extract(part text, source date) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT redshift_system.rs_extract(part, CAST(source AS timestamp))
$$;
CREATE FUNCTION redshift_system.rs_extract(part text, source time) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(trunc(redshift_system.rs_part(part, date_part(CASE WHEN part IN ('millisecond', 'microsecond')
        THEN 'second' ELSE part END, source), date_part('second', source))) AS integer)
$$;
CREATE FUNCTION redshift_system.rs_extract(part text, source interval) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(trunc(date_part(part, source)) AS integer)
$$;
CREATE FUNCTION redshift_system.rs_extract(part text, source timestamptz) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT redshift_system.rs_part(part, date_part(CASE WHEN part IN ('millisecond', 'microsecond')
        THEN 'second' ELSE part END, source), date_part('second', source))
$$;

-- DATEDIFF: "the number of date or time boundaries crossed" between two values, a BIGINT
-- (r_DATEDIFF_function.html): both truncated to the part, then counted.
CREATE FUNCTION redshift_system.datediff(part text, a timestamp, b timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(CASE part
        WHEN 'millennium' THEN trunc(date_part('millennium', b)) - trunc(date_part('millennium', a))
        WHEN 'century' THEN trunc(date_part('century', b)) - trunc(date_part('century', a))
        WHEN 'decade' THEN trunc(date_part('decade', b)) - trunc(date_part('decade', a))
        WHEN 'year' THEN date_part('year', b) - date_part('year', a)
        WHEN 'quarter' THEN (date_part('year', b) * 4 + date_part('quarter', b))
                            - (date_part('year', a) * 4 + date_part('quarter', a))
        WHEN 'month' THEN (date_part('year', b) * 12 + date_part('month', b))
                          - (date_part('year', a) * 12 + date_part('month', a))
        WHEN 'week' THEN (CAST(date_trunc('week', b) AS date) - CAST(date_trunc('week', a) AS date)) / 7
        WHEN 'day' THEN CAST(b AS date) - CAST(a AS date)
        ELSE trunc((date_part('epoch', date_trunc(CASE part WHEN 'millisecond' THEN 'milliseconds'
                        WHEN 'microsecond' THEN 'microseconds' ELSE part END, b))
                    - date_part('epoch', date_trunc(CASE part WHEN 'millisecond' THEN 'milliseconds'
                        WHEN 'microsecond' THEN 'microseconds' ELSE part END, a)))
                   * CASE part WHEN 'hour' THEN 1.0 / 3600 WHEN 'minute' THEN 1.0 / 60 WHEN 'second' THEN 1
                               WHEN 'millisecond' THEN 1000 WHEN 'microsecond' THEN 1000000 END)
    END AS bigint)
$$;
CREATE FUNCTION redshift_system.datediff(part text, a date, b date) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT redshift_system.datediff(part, CAST(a AS timestamp), CAST(b AS timestamp))
$$;
CREATE FUNCTION redshift_system.datediff(part text, a timestamptz, b timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT redshift_system.datediff(part, CAST(a AS timestamp), CAST(b AS timestamp))
$$;

-- AVG: "BIGINT for any integer type argument; DOUBLE PRECISION for a floating point argument;
-- the same data type as expression for any other" (r_AVG.html). SUM: BIGINT for SMALLINT, INTEGER,
-- BIGINT; NUMERIC for NUMERIC; DOUBLE PRECISION for floating point (r_SUM.html).
CREATE FUNCTION redshift_system.int_avg_final(state bigint[]) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN state[1] = 0 THEN NULL ELSE CAST(trunc(CAST(state[2] AS numeric) / state[1]) AS bigint) END
$$;
CREATE FUNCTION redshift_system.int8_avg_step(state numeric[], value bigint) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT ARRAY[state[1] + 1, state[2] + value] $$;
CREATE FUNCTION redshift_system.int8_avg_final(state numeric[]) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN state[1] = 0 THEN NULL ELSE CAST(trunc(state[2] / state[1]) AS bigint) END
$$;
CREATE AGGREGATE redshift_system.avg(smallint) (
    SFUNC = int2_avg_accum, STYPE = bigint[], FINALFUNC = redshift_system.int_avg_final, INITCOND = '{0,0}');
CREATE AGGREGATE redshift_system.avg(integer) (
    SFUNC = int4_avg_accum, STYPE = bigint[], FINALFUNC = redshift_system.int_avg_final, INITCOND = '{0,0}');
CREATE AGGREGATE redshift_system.avg(bigint) (
    SFUNC = redshift_system.int8_avg_step, STYPE = numeric[], FINALFUNC = redshift_system.int8_avg_final,
    INITCOND = '{0,0}');
CREATE AGGREGATE redshift_system.avg(real) (
    SFUNC = float4_accum, STYPE = double precision[], FINALFUNC = float8_avg, INITCOND = '{0,0,0}');
CREATE AGGREGATE redshift_system.avg(double precision) (
    SFUNC = float8_accum, STYPE = double precision[], FINALFUNC = float8_avg, INITCOND = '{0,0,0}');
CREATE AGGREGATE redshift_system.avg(numeric) (
    SFUNC = numeric_avg_accum, STYPE = internal, FINALFUNC = numeric_avg, COMBINEFUNC = numeric_avg_combine,
    SERIALFUNC = numeric_avg_serialize, DESERIALFUNC = numeric_avg_deserialize);
CREATE AGGREGATE redshift_system.sum(smallint) (SFUNC = int2_sum, STYPE = bigint);
CREATE AGGREGATE redshift_system.sum(integer) (SFUNC = int4_sum, STYPE = bigint);
CREATE AGGREGATE redshift_system.sum(bigint) (SFUNC = int8pl, STYPE = bigint);
CREATE AGGREGATE redshift_system.sum(numeric) (SFUNC = numeric_add, STYPE = numeric);
CREATE FUNCTION redshift_system.float4_sum_step(state double precision, value real) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN value IS NULL THEN state ELSE COALESCE(state, 0) + value END $$;
CREATE AGGREGATE redshift_system.sum(real) (SFUNC = redshift_system.float4_sum_step, STYPE = double precision);
CREATE AGGREGATE redshift_system.sum(double precision) (SFUNC = float8pl, STYPE = double precision);

-- LISTAGG: "If the result set is larger than the maximum VARCHAR size (64K - 1, or 65535), then LISTAGG
-- returns the following error: Invalid operation: Result size exceeds LISTAGG limit" (r_LISTAGG.html).
CREATE FUNCTION redshift_system.listagg_limit(result text) RETURNS varchar(65535) LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF octet_length(result) > 65535 THEN
        RAISE EXCEPTION 'Result size exceeds LISTAGG limit';
    END IF;
    RETURN result;
END
$$;

-- LISTAGG(DISTINCT ...): "Trailing spaces are ignored. For example, the strings 'a' and 'a ' are treated as
-- duplicates. LISTAGG uses the first value encountered" (r_LISTAGG.html). The state is the delimiter, then each
-- value kept, in the order met; semantics.py passes NULL for an empty string ("NULL values and empty strings
-- are ignored") and the WITHIN GROUP order as the aggregate's.
CREATE FUNCTION redshift_system.listagg_distinct_step(state text[], value text, delimiter text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN state
                WHEN state IS NULL THEN ARRAY[delimiter, value]
                WHEN EXISTS (SELECT FROM unnest(state[2:]) AS kept
                             WHERE rtrim(kept, ' ') = rtrim(value, ' ')) THEN state
                ELSE state || value END
$$;
CREATE FUNCTION redshift_system.listagg_distinct_final(state text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT array_to_string(state[2:], state[1])
$$;
CREATE AGGREGATE redshift_system.listagg_distinct(text, text) (
    SFUNC = redshift_system.listagg_distinct_step, STYPE = text[], FINALFUNC = redshift_system.listagg_distinct_final);
