"""The Redshift Data API endpoint of a rehearsal: what a real boto3
``redshift-data`` client sends to AWS, executed here on the local stack's
PostgreSQL under the Data API's and Redshift's documented rules.

``sparkify-nb local up`` starts it (``python -m sparkify_nb.local.rehearsal``);
``local.data_api_endpoint()`` is its URL; ``local.rehearsal_dsn(cluster)`` the
DSN of the database behind a cluster. Modules: :mod:`.server` (HTTP, the AWS
JSON 1.1 protocol, request validation against botocore's service model),
:mod:`.api` (the operations), :mod:`.statements` (running, statuses, results),
:mod:`.sessions`, :mod:`.translate` (parse as Redshift, refuse, translate),
:mod:`.commands` (LOCK, users, GRANT), :mod:`.copy` (COPY), :mod:`.iam_eval`
(a role's reach), :mod:`.backing` (one database per cluster), :mod:`.control`
(the emulator's control plane), ``sql/system.sql`` (Redshift's system views),
:mod:`.execute` (one statement run: the step both doors share). The second
door, :mod:`.wire`, is a PostgreSQL wire-protocol front door for ``access =
direct`` (its own rules in its docstring; TLS from :mod:`.pki`, the
temporary credentials :mod:`.credentials` recorded). The same process serves
Redshift Serverless's control plane, :mod:`.serverless` (the emulator has none).

Sources, abbreviated below: [API] the Data API reference,
https://docs.aws.amazon.com/redshift-data/latest/APIReference/ (pages
API_<Operation>.html, API_SqlParameter.html); [MODEL] botocore's service model
``redshift-data/2019-12-20/service-2.json`` (shapes, limits, error codes);
[GUIDE] "Using the Amazon Redshift Data API",
https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html; [TROUBLE] its
"Troubleshooting" page, .../mgmt/data-api-troubleshooting.html; [DG] the
Database Developer Guide, https://docs.aws.amazon.com/redshift/latest/dg/.

The rules, each enforced server-side (a client that skips its own checks is
refused the same) and each pinned by a test in tests/test_rehearsal_*.py:

1. Requests: every member is checked against the operation's input shape
   (required, type, length, range, enum, pattern, unknown members) and refused
   with ``ValidationException`` [MODEL]. A statement over 100 KB is refused
   ("The maximum query statement size is 100 KB" [GUIDE]).
2. Asynchronous: ExecuteStatement and BatchExecuteStatement return an ``Id``
   at once; the statement runs in the background through SUBMITTED, PICKED,
   STARTED to FINISHED, FAILED or ABORTED, as DescribeStatement shows ("Calls
   to the Data API are asynchronous" [GUIDE]; statuses: ListStatements
   ``Status`` [API]). ``WaitTimeSeconds`` (1-30) waits that long at most [MODEL].
   At most 200 active (SUBMITTED, STARTED) statements per cluster, else
   ``ActiveStatementsExceededException`` [GUIDE]. Statements are kept 24 hours
   ("The maximum retention time for query results is 24 hours" [GUIDE]).
3. Batches: 1 to 40 statements ("Sqls" min 1, max 40 [MODEL]), run serially
   "as a single transaction ... If any SQL statement fails, ... all work is
   rolled back" [API BatchExecuteStatement; GUIDE]; ``ExecutionMode``
   AUTO_COMMIT commits each statement [MODEL]. A failed batch shows the failing
   statement FAILED and those after it ABORTED (unconfirmed: AWS does not say
   what the statements after a failure show). Sub-statement ids are
   ``Id:N`` [API DescribeStatement].
4. Parameters: named only, ``:name``, the name ``[0-9a-zA-Z_]+``, the value at
   least one character ([API SqlParameter; MODEL]; "You can't set a zero length
   value" [GUIDE]); a positional placeholder (``?``, ``$1``) is refused
   (unconfirmed: the Data API documents named parameters only). A batch's
   parameters are shared by its statements: "Each statement can reference any
   subset of the provided parameters. Each provided parameter must be
   referenced by at least one SQL statement in the batch" [MODEL
   BatchExecuteStatement]; the same is required of ExecuteStatement here
   (unconfirmed). A parameter the SQL uses but the request lacks is refused.
5. Sessions: ``SessionKeepAliveSeconds`` (0-86400) opens one and returns its
   ``SessionId``; later calls pass ``SessionId`` (and not the cluster, database
   or user again: unconfirmed, refused here). One session is one PostgreSQL
   session: temp tables, ``pg_backend_pid()`` and ``pg_last_copy_id()`` carry
   over. It runs one statement at a time: a call while one runs is refused with
   ``ValidationException`` (AWS's message is unconfirmed). It ends
   ``SessionKeepAliveSeconds`` after its last statement finished, and "After 24
   hours, the session is forced closed" [API ExecuteStatement]; a later call on
   it gets ``ValidationException: Session is not available``, one on an id that
   never existed ``Session with Id: ... is invalid`` (both as AWS Support gave
   them, https://github.com/awslabs/mcp/issues/4587).
6. Targets: provisioned clusters, as a database user: ``ClusterIdentifier``,
   ``Database``, ``DbUser`` ("When connecting to a cluster as a database user,
   specify the cluster identifier, the database name, and the database user
   name" [API ExecuteStatement]); or Serverless workgroups: ``WorkgroupName``
   and ``Database``, no ``DbUser``: the statement runs as the signer's IAM
   identity, ``IAM:<user>`` / ``IAMR:<role>`` (asked of the emulator's STS by
   the request's access key), a database user made at its first sign-in and no
   superuser, so a second identity reads nothing it was not granted
   (:mod:`.serverless`, rule 7). Secrets Manager is not rehearsed and is
   refused saying so. The
   cluster must exist in the Region the request was signed for, else
   ``ValidationException: Redshift endpoint doesn't exist in this region.``
   (the Data API's answer, https://github.com/aws/aws-cdk/issues/30536), and be
   ``available``: a paused one is refused (ValidationException; message
   unconfirmed). A database other than the cluster's fails as a login does
   (``FATAL: database "x" does not exist``), as does a user the cluster does
   not have (``FATAL: user "x" does not exist``; both wordings unconfirmed).
7. Results: GetStatementResult pages with ``NextToken`` [API]; a page holds at
   most 1 MB of records (unconfirmed: AWS documents no page size); a row over
   64 KB fails the statement ("Packet for query is too large ... 64 KB per
   row" [TROUBLE]), a result over 500 MB too ("Database response exceeded size
   limit ... The Data API limit is 500 MB in the result set returned by the
   database" [TROUBLE]; the [GUIDE]'s quotas table still said 100 MB: the
   troubleshooting page, the newer, is followed). Only FINISHED statements with a result set have one ("Query does
   not have result"), JSON ones only ("must have specified ResultFormat as
   JSON" [API GetStatementResult]). Values are ``Field`` unions: integers as
   ``longValue``, floats as ``doubleValue``, booleans, NULL as ``isNull``,
   other types (DECIMAL, dates, times) as ``stringValue`` (the JDBC mapping
   table of [GUIDE]).
8. Errors: a FAILED statement's ``Error`` reads as Redshift's does:
   ``ERROR: relation "x" does not exist`` (the form of [GUIDE]'s example
   ``ERROR: syntax error at or near "FROM"``).
9. Redshift SQL: every statement is parsed with sqlglot's Redshift dialect;
   one that does not parse FAILS with ``ERROR: syntax error at or near ...``
   (known gaps of sqlglot refuse valid Redshift too: column-level DISTKEY /
   SORTKEY, table-level ENCODE AUTO).
   Refused, from AWS's own lists, one data file with each section's page
   (``sql/redshift_refuses.toml``, found by :mod:`.refusals`): the unsupported
   PostgreSQL functions [DG c_unsupported-postgresql-functions.html], data types
   [DG c_unsupported-postgresql-datatypes.html] and features [DG
   c_unsupported-postgresql-features.html] (indexes, partitioning, CHECK,
   inheritance, array and row constructors, subscripts, VALUES as a table, ...);
   the leader node-only functions with a user table in the statement, and the
   deprecated ones anywhere [DG c_SQL_functions_leader_node_only.html]; a bare
   reserved word as a name [DG r_pg_keywords.html]; constructs no command's
   syntax has (ON CONFLICT, RETURNING, DISTINCT ON, FILTER, LATERAL, IS DISTINCT
   FROM, CREATE TYPE, PL/pgSQL functions, UNLOGGED, identities without (seed,
   step)), each with its command's page. A VARCHAR over 65535 bytes is refused.
   Run with Redshift's meaning (:mod:`.semantics`, each with its page):
   ``EXTRACT`` an INTEGER from a TIMESTAMP (DOUBLE from a TIMESTAMPTZ), the
   fraction dropped (dropping rather than rounding: unconfirmed); ``DATE_PART``
   a DOUBLE; ``DATEDIFF`` the boundaries crossed, a BIGINT; ``AVG`` of integers
   a BIGINT (fraction dropped, as r_AVG.html's example shows), of floats a
   DOUBLE; ``SUM`` of integers a BIGINT, of floats a DOUBLE; ``TEXT`` and a
   bare ``VARCHAR`` are ``VARCHAR(256)``, and a table's VARCHAR(n) refuses an
   INSERT or UPDATE over n *bytes* (a check named ``value too long for type
   character varying(n)``); ``LISTAGG`` as ``string_agg`` (no delimiter when
   none is given, over 65535 bytes "Result size exceeds LISTAGG limit");
   ``APPROXIMATE COUNT(DISTINCT ...)`` exact; ``MERGE``; ``ANALYZE``;
   ``VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] [table [TO n
   PERCENT] [BOOST]]`` as PostgreSQL's ``VACUUM [table]``, refused in a batch
   ("VACUUM cannot run inside a transaction block"). Parameters are VARCHARs
   where the SQL does not cast them (:func:`.translate.bind`; the strictest
   reading, unconfirmed). The rest runs translated: DISTSTYLE / DISTKEY /
   SORTKEY / ENCODE / BACKUP dropped;
   PRIMARY KEY, UNIQUE and FOREIGN KEY dropped too ("informational only. They
   aren't enforced by the system" [DG r_CREATE_TABLE_NEW.html]);
   ``IDENTITY(seed, step)`` kept as an identity (GENERATED ALWAYS: values are
   generated), ``GENERATED BY DEFAULT AS IDENTITY(seed, step)`` as one that
   takes a given value [DG r_CREATE_TABLE_NEW.html]. "TRUNCATE commits the
   transaction in which it is run" [DG r_TRUNCATE.html], in a batch too.
   Sessions run in UTC with ISO dates, as Redshift's.
10. System views, in every rehearsal database with Redshift's columns:
   ``stl_load_errors``, ``sys_load_error_detail``, ``sys_load_history``,
   ``stv_tbl_perm``, ``pg_last_copy_id()``, ``pg_last_copy_count()``
   (``sql/system.sql`` cites each page). ``pg_last_copy_id()`` "is updated when
   the COPY command begins the load process. If the COPY fails because of
   invalid load data, the COPY ID is updated ... If the COPY transaction is
   rolled back, the COPY ID is not updated" [DG PG_LAST_COPY_ID.html].
11. COPY (:mod:`.copy`): ``FORMAT AS JSON`` ('auto', 'auto ignorecase' or a
   jsonpaths file [DG copy-parameters-data-format.html#copy-json]),
   ``TIMEFORMAT 'epochmillisecs'``, ``MAXERROR [AS] n`` (a whole number, at
   most 100000 [DG copy-parameters-data-load.html#copy-maxerror]; one without
   its number is a syntax error, one above the limit refused: Redshift's
   answer to it is unconfirmed), ``REGION``, ``MANIFEST``,
   ``GZIP``, and the data conversion parameters ``TRIMBLANKS``,
   ``TRUNCATECOLUMNS``, ``ACCEPTINVCHARS [AS] ['c']``, ``BLANKSASNULL``,
   ``EMPTYASNULL`` [DG copy-parameters-data-conversion.html; what each does, and
   what of it is unconfirmed: :class:`sparkify_nb.staging.convert.Conversion`]
   (and COMPUPDATE / STATUPDATE, no effect) with the project's COPY emulator,
   appending in the caller's transaction. An option Redshift does not take with
   JSON ("The following options aren't supported with JSON": CSV, DELIMITER,
   ESCAPE, FILLRECORD, FIXEDWIDTH, IGNOREBLANKLINES, NULL AS, READRATIO,
   REMOVEQUOTES [DG copy-parameters-data-format.html#copy-json]) fails with
   ``ERROR: <option> is not supported with JSON`` (wording unconfirmed); any
   other option, and the mapping 'noshred', is refused saying the rehearsal
   does not serve it, not ignored. ``IAM_ROLE`` must name a role that exists, is
   associated with the cluster and trusts Redshift, else ``ERROR: User
   arn:aws:redshift:...:dbuser:<cluster>/<user> is not authorized to assume IAM
   Role <arn>`` (wording unconfirmed); its policies (inline, attached, within
   its permissions boundary; :mod:`.iam_eval`) must allow ``s3:ListBucket`` on
   the prefix (``s3:prefix`` conditions honoured) and ``s3:GetObject`` on every
   object read, the manifest and the jsonpaths file included, else ``ERROR:
   S3ServiceException:Access Denied,Status 403,Error AccessDenied`` ("must have
   LIST and GET access" [DG s3serviceexception-error.html]). With a manifest or
   a jsonpaths file the bucket must be listable too ("permission to LIST the
   Amazon S3 bucket and GET the Amazon S3 objects that are being loaded, and
   the manifest file, if one is used"; "LIST and GET the JSONPaths file" [DG
   copy-usage_notes-access-permissions.html]); with which ``s3:prefix`` Redshift
   lists then is not documented: the object's own key here (unconfirmed). A
   bucket outside the COPY's Region (``REGION``, else the cluster's; a
   manifest's files too: "all resources, including a manifest file or multiple
   Amazon S3 buckets, must be located in the specified region" [DG
   copy-parameters-data-source-s3.html]) fails with ``ERROR:
   S3ServiceException:The bucket you are attempting to access must be addressed
   using the specified endpoint.`` [same page; DG
   copy-parameters-data-source-s3.html]. An empty prefix fails ("The specified
   S3 prefix ... does not exist"). MAXERROR reached fails with "Load into table
   'x' failed. Check 'stl_load_errors' system table for details."

Every Data API and Serverless request a rehearsal's operator signs is
authorised first (:mod:`.authorise`, the evaluator of the emulator's IAM gate).

What a rehearsal cannot show, and does not pretend to: network reachability,
IAM beyond the identity policies (bucket policies of others, SCPs, KMS key
policies), Redshift's speed, its prices; that Redshift compares
VARCHARs ignoring trailing blanks (PostgreSQL does not: the suite trims them at
load, COPY ... TRIMBLANKS, so its answers do not depend on it); the scale of
an AVG of DECIMALs (Redshift keeps the argument's, PostgreSQL does not); a
number compared with a string other than a whole number literal within
SMALLINT's range (refused saying the rehearsal does not serve it yet); COPY's
``STL_REPLACEMENTS`` (ACCEPTINVCHARS replaces, the table is not kept) and
'noshred'.
"""
