-- Serverless: the analyst's database user is its IAM role's (IAMR:<role>), made at its first login; the
-- tables' owner grants it what it may read (PUBLIC already has USAGE on the schema).
GRANT SELECT ON {star_tables} TO {user};
