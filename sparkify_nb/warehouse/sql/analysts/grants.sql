-- What the analysts may do: use the schema and read the star tables; nothing else. No one but the
-- owner creates tables in the schema (Redshift gives PUBLIC CREATE on it by default).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER GROUP analysts ADD USER {user};
GRANT USAGE ON SCHEMA public TO GROUP analysts;
GRANT SELECT ON {star_tables} TO GROUP analysts;
