"""Which code ``make mutants`` mutates, room by room, and which tests run against each mutant.

One place to update when a package moves or a room gains a test module: a room is the code one
review looks at (a package, or a few modules of one), the test modules that exercise it, and
the share of its non-equivalent mutants the tests must kill (issue 32: 85 %, 95 % for the
rehearsal endpoint and the permissions documents). ``tests/test_mutation_config.py`` checks
that every path and test module named here exists and that every room the issue lists is here.

``make mutants PKG=<a room's folder, or one module or .sql file of a room>`` mutates that code
in a scratch copy of the work tree (tests/mutants.py): Python with cosmic-ray's operators, SQL
with tests/sql_mutants.py. Each mutant runs only the test functions of the room's test modules
that executed the mutated line (measured once per run with coverage, one context per test, the
endpoint's and the emulator's processes included); a mutant on a line no test reaches survives
without a run.

:data:`EQUIVALENT` names the surviving mutants that change no behaviour, each with its reason;
they count apart (neither killed nor survived).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Room:
    name: str
    paths: tuple[str, ...]  # globs relative to the project root: the code mutated
    tests: tuple[str, ...]  # test modules run against a mutant (those that reach its line)
    target: float  # share of non-equivalent mutants the tests must kill

    def files(self) -> list[Path]:
        """The room's files (relative to the project root), sorted, each once."""
        found = {p.relative_to(ROOT) for pattern in self.paths for p in ROOT.glob(pattern) if p.is_file()}
        return sorted(p for p in found if p.name != "__main__.py")


REHEARSAL_TESTS = ("tests/test_rehearsal_sql.py", "tests/test_rehearsal_api.py", "tests/test_rehearsal_sessions.py",
                   "tests/test_rehearsal_copy.py", "tests/test_rehearsal_wire.py", "tests/test_rehearsal_serverless.py",
                   "tests/test_rehearsal_serverless_rules.py",  # serverless.py's rules the full module had no room for
                   "tests/test_rehearsal_analysts.py", "tests/test_copy_reach.py",
                   "tests/test_rehearsal_copy_options.py", "tests/test_rehearsal_semantics.py",
                   "tests/test_rehearsal_results.py",
                   "tests/test_rehearsal_batches.py",  # a batch's transaction in a session (test_rehearsal_api's sibling)
                   "tests/test_rehearsal_documented_outcomes.py",
                   "tests/test_rehearsal_refusals.py",  # refusals.py's data file, each entry refused (pure, 2 s)
                   "tests/test_rehearsal_pki.py",  # the door's CA and server certificates (pure, 2 s)
                   "tests/test_iam_gate.py", "tests/test_gate_policy_finds.py",  # these two: authorise.py, the gate
                   "tests/test_iam_roles.py")  # authorise.py: a role's session at the Data API's gate

ROOMS: tuple[Room, ...] = (
    Room("rehearsal endpoint", ("sparkify_nb/local/rehearsal/*.py", "sparkify_nb/local/rehearsal/sql/*.sql"),
         REHEARSAL_TESTS, 0.95),
    # the gate's table of what a request touches (iam/touches*.py, calls.py, sar.py) and the preflight's plan of a
    # run's requests (iam/plan.py) live here too, below infra and local: the gate's tests pin them
    Room("permissions documents", ("sparkify_nb/iam/*.py",),
         ("tests/test_infra_access.py", "tests/test_operator_policy.py", "tests/test_copy_reach.py",
          "tests/test_lease_documents.py", "tests/test_iam_plan.py", "tests/test_iam_gate.py",
          "tests/test_iam_authorize.py", "tests/test_gate_policy_finds.py", "tests/test_infra_preflight.py",
          "tests/test_rehearsal_preflight.py", "tests/test_boundary_admin.py", "tests/test_escalation.py",
          "tests/test_analysts_redshift.py",  # these three: admin.py, the boundary, analyst.py
          "tests/test_iam_roles.py"), 0.95),  # touches_redshift.py: a role's in-session statement on a tagged workgroup
    Room("rehearsal IAM", ("sparkify_nb/local/iam/*.py",),
         ("tests/test_iam_evaluate.py", "tests/test_iam_authorize.py", "tests/test_iam_gate.py",
          "tests/test_gate_policy_finds.py", "tests/test_rehearsal_account.py", "tests/test_iam_roles.py"), 0.85),
    Room("infra",
         ("sparkify_nb/infra/controls.py", "sparkify_nb/infra/workbucket.py", "sparkify_nb/infra/logs.py",
          "sparkify_nb/infra/pause.py", "sparkify_nb/infra/roles.py"),
         ("tests/test_infra_controls.py", "tests/test_log_groups.py", "tests/test_infra_stubbed.py",
          "tests/test_guardrails.py", "tests/test_guardrails_stubbed.py", "tests/test_infra.py",
          "tests/test_paused_runs.py"), 0.85),  # the last: pause.py's resume and pause around a run
    Room("staging", ("sparkify_nb/staging/granted.py", "sparkify_nb/staging/load.py", "sparkify_nb/staging/sql/*.sql"),
         ("tests/test_staging.py", "tests/test_daily_loads.py", "tests/test_copy_reach.py",
          "tests/test_mapping.py",  # load.py's 'auto'-mapping check of each table, and its clients
          # the Redshift path: a daily load's COPYs, and COPY with its load errors (staging/sql/)
          "tests/test_rehearsal_daily_loads.py", "tests/test_rehearsal_copy.py"), 0.85),
    Room("warehouse",
         ("sparkify_nb/warehouse/data_api.py", "sparkify_nb/warehouse/quality.py",
          "sparkify_nb/warehouse/transform.py", "sparkify_nb/warehouse/sql/transform/*.sql",
          "sparkify_nb/warehouse/sql/quality/*.sql"),
         ("tests/test_transform.py", "tests/test_data_api.py", "tests/test_daily_loads.py",
          "tests/test_redshift_sql.py"), 0.85),
    Room("analytics",
         ("sparkify_nb/analytics/magic.py", "sparkify_nb/analytics/report.py", "sparkify_nb/display.py",
          "sparkify_nb/analytics/sql/*.sql"),
         ("tests/test_sql_magic.py", "tests/test_report.py", "tests/test_display.py", "tests/test_analytics.py"),
         0.85),
)

# (file, operator, the mutated line as written, stripped) -> why the mutant changes no behaviour
_ST = "sparkify_nb/local/rehearsal/statements.py"
_BELOW_4 = "typmod is only compared with 4 (>= 4): any value below 4 for a computed column acts as -1"
_STRING_TYPMOD = "PostgreSQL stores a string type's typmod as -1 or length + 4 (VARHDRSZ), never 3"
_NO_SIZE = "internal_size None: 0 > 0 and -1 > 0 are both false"
_NO_CARRY = ("NUMERIC typmod is (precision << 16 | scale) + 4, scale at most 1000: +-1..8 never carries into the "
             "precision bits")
_NUMERIC_TYPMOD = "PostgreSQL stores a NUMERIC typmod as -1 or (precision << 16 | scale) + 4 >= 4, never 3"
_TR = "sparkify_nb/local/rehearsal/translate.py"
_SE = "sparkify_nb/local/rehearsal/semantics.py"
# Equivalent endpoint mutants, one dict per group of the endpoint's files, so that work on different
# files adds entries in different places (merged into EQUIVALENT below).

# statements.py, translate.py, semantics.py, sql/*.sql
_EQ_STATEMENTS: dict[tuple[str, str, str], str] = {
    **{("sparkify_nb/local/rehearsal/statements.py", "NumberReplacer", f"rows = cur.fetchmany( {n})"):
       "harmless: how many rows fetch() reads from PostgreSQL at a time; pages are cut by the loop over each row"
       for n in (999, 1001)},
    **{(_ST, "NumberReplacer", "return int((self.updated - self.started) * "
        f"{n}) if self.started and self.status in DONE else -1"):
       "harmless: a Duration off by one part in a billion" for n in ("1000000001.0", "999999999.0")},
    (_ST, "ReplaceComparisonOperator_IsNot_Is", "elif conn is None:"):
        "harmless: execute's local is the connection's only reference, so CPython closes it as execute returns; "
        "when connecting failed (None) the AttributeError ends the statement's own thread after its FAILED is set",
    (_TR, "NumberReplacer", "tree = trees[ -1]"):
        "the line before refuses any count of statements but one: the first tree is the last",
    (_TR, "NumberReplacer", 'mark = f"rehearsal_param_{secrets.token_hex( 7)}"'):
        "harmless: a placeholder's internal column name, replaced before PostgreSQL sees it, is 14 random hex "
        "digits instead of 12",
    (_SE, "NumberReplacer", "value = params[ -1].this  # sqlglot reads each of a type's parameters as a DataTypeParam"):
        "a character type with more than one parameter is refused by check_types whichever it reads (a syntax error "
        "at its last); with one, its first is its last",
    **{(_SE, "NumberReplacer", line): "sqlglot reads MERGE's INSERT VALUES (...) without a column list as a Tuple of "
       "exactly one VALUES(...) call: its first is its last (a column list's Tuple holds no call either way)"
       for line in ('isinstance(then.this.expressions[ -1], exp.Anonymous) and then.this.expressions[0].name.upper() == "VALUES":',
                    'isinstance(then.this.expressions[0], exp.Anonymous) and then.this.expressions[ -1].name.upper() == "VALUES":',
                    'values = ", ".join(e.sql("postgres") for e in then.this.expressions[ -1].expressions)')},
    (_SE, "NumberReplacer",
     'value = exp.Nullif(this=exp.cast((inner.expressions[ -1] if distinct else inner).copy(), "VARCHAR"),'):
        "LISTAGG(DISTINCT x, delimiter) reaches here as DISTINCT (x), its delimiter taken out, and more arguments are "
        "refused before: its first is its last",
    **{(_TR, kind, f'node.set("minvalue" if step.to_py() {test} else "maxvalue", exp.Literal.number(start.to_py()))'):
       "they differ for a step of 0 only, which PostgreSQL refuses before it reads either bound (\"INCREMENT must "
       "not be zero\")" for kind, test in (("NumberReplacer", "> -1"), ("ReplaceComparisonOperator_Gt_GtE", ">= 0"))},
}


# wire.py, wire_door.py, wire_messages.py, copy.py, pki.py, backing.py, credentials.py, errors.py, lazy.py
_W, _C = "sparkify_nb/local/rehearsal/wire.py", "sparkify_nb/local/rehearsal/copy.py"
_WM = "sparkify_nb/local/rehearsal/wire_messages.py"
_EQ_WIRE_COPY: dict[tuple[str, str, str], str] = {
    **{(_W, "NumberReplacer", line): "struct.unpack('!i', ...) returns a tuple of one: its first is its last"
       for line in ('length = struct.unpack("!i", self._read(4))[ -1]',
                    'return struct.unpack("!i", body[:4])[ -1], body[4:]',
                    'body = self._read(struct.unpack("!i", self._read(4))[ -1] - 4)')},
    **{(_WM, kind, f"if d.internal_size {op}:  # psycopg2's size of a variable-width type is from its modifier: "
        "none (-1)"): "psycopg2's internal_size is never 0 for a type Redshift has: a fixed type's typlen (> 0), "
       "a CHAR/VARCHAR/NUMERIC modifier less 4 (> 0) or -1; only BIT(4) would give 0, and the door refuses BIT"
       for kind, op in (("NumberReplacer", "<= -1"), ("ReplaceComparisonOperator_LtE_Lt", "< 0"))},
    (_W, "NumberReplacer", "if not 7 <= length <= 10004:  # 4 to 10,000 bytes after the length word, as PostgreSQL reads"):
        "harmless: a 7-byte packet then fails to unpack (struct.error) instead of being refused: the connection "
        "is closed without a word either way, with a traceback in the endpoint's log",
    (_W, "NumberReplacer", "key = (self.conn.get_backend_pid(), secrets.randbits( 30))"):
        "harmless: the cancel key's secret is drawn from 2^30 values instead of 2^31; still a positive Int32",
    (_W, "ReplaceComparisonOperator_Eq_NotEq", "(removed) == extensions.TRANSACTION_STATUS_INTRANS)"):
        "while a statement runs the status is IDLE (0) or INTRANS (2): the status itself is as true as == INTRANS",
    **{(_C, "NumberReplacer", f'"filename": r.filename[:256], "line_number": r.line_number, "colname": r.colname[: {n}],'):
       "a column name on the PostgreSQL backing store has at most 63 bytes (NAMEDATALEN - 1): a cut at 126, 127 or "
       "128 characters cuts nothing" for n in (126, 128)},
    **{(_C, "NumberReplacer", line): "the short type names are at most 9 characters (timestamp) and a column "
       "length at most 5 digits (VARCHAR(65535)): a cut at 9, 10 or 11 cuts nothing"
       for line in ('"type": _short_type(r.type)[: 11], "col_length": str(r.col_length)[:10], "raw_line": r.raw_line,',
                    '"type": _short_type(r.type)[: 9], "col_length": str(r.col_length)[:10], "raw_line": r.raw_line,',
                    '"type": _short_type(r.type)[:10], "col_length": str(r.col_length)[: 11], "raw_line": r.raw_line,',
                    '"type": _short_type(r.type)[:10], "col_length": str(r.col_length)[: 9], "raw_line": r.raw_line,')},
    **{(_C, "NumberReplacer", f'"duration": int((time.monotonic() - t0) * {n}), "data_source": source[:256],'):
       "harmless: a COPY's duration in sys_load_history off by one part in a million" for n in ("1000001.0", "999999.0")},
    ("sparkify_nb/local/rehearsal/credentials.py", "ReplaceBinaryOperator_Mul_Div",
     "def record(path: Path, /, target: str, region: str, account: str, user: str, password: str,"):
        "every caller passes all but path by keyword, which record(path, /, ...) accepts as record(path, *, ...) does",
    ("sparkify_nb/local/rehearsal/credentials.py", "ReplaceTrueWithFalse",
     "recorded.recorded = False  # type: ignore[attr-defined]"):
        "harmless: the emulator's process wraps moto's method once (aws_emulator.py); only a second call in one "
        "process wraps it again, and check() reads an issue recorded twice as once",
    ("sparkify_nb/local/rehearsal/credentials.py", "ReplaceTrueWithFalse", "@dataclass(frozen=False)"):
        "no code assigns to an Issued after making it",
    **{("sparkify_nb/local/rehearsal/pki.py", "NumberReplacer", f"SERVER_DAYS = {n}"):
       "harmless: the door makes its server certificates anew in each endpoint process (Issuer keeps them in "
       "memory); 29 or 31 days outlast any process" for n in (29, 31)},
    **{("sparkify_nb/local/rehearsal/pki.py", "NumberReplacer", line.replace("minutes=5", f"minutes= {n}")):
       "harmless: a certificate is valid from a few minutes before it is made, for clocks a little behind; 4 or 6 "
       "minutes do the same" for n in (4, 6) for line in (
           ".not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))",
           ".not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))")},
    **{("sparkify_nb/local/rehearsal/pki.py", kind, line): "harmless: an extension's criticality flag; TLS clients "
       "(libpq, Python's ssl) know all three extensions and read them either way (RFC 5280 4.2: a critical extension "
       "the client cannot read is refused; these it can)" for kind, line in (
           ("ReplaceTrueWithFalse", ".add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)"),
           ("ReplaceFalseWithTrue", ".add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=True)"),
           ("ReplaceFalseWithTrue",
            ".add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=True)"))},
    ("sparkify_nb/local/rehearsal/pki.py", "ReplaceTrueWithFalse", "folder.mkdir(parents=False, exist_ok=True)"):
        "the CA folder's parent is <state>/local, which stack._dir makes (parents=True) before returning it",
}


# api.py, sessions.py, server.py, refusals.py, authorise.py, control.py, commands.py, execute.py, iam_eval.py
_AUTHORISE = "sparkify_nb/local/rehearsal/authorise.py"
_EQ_API: dict[tuple[str, str, str], str] = {
    **{(_AUTHORISE, "NumberReplacer", f'role, session = who.arn.split(":assumed-role/", {a})[1].split("/", {b})'):
       "an assumed-role ARN holds ':assumed-role/' once and one '/' after it (role and session names have none): "
       "a maxsplit of 2 splits it as 1 does"
       for a, b in ((2, 1), (1, 2))},
    **{("sparkify_nb/local/rehearsal/control.py", "NumberReplacer",
        f'config=Config(retries={{"max_attempts": {n}}}, s3={{"addressing_style": "path"}}))'):
       "harmless: how often the endpoint retries a call to the loopback emulator that failed on the way; no rule "
       "reads it" for n in (1, 3)},
    **{("sparkify_nb/local/rehearsal/api.py", "NumberReplacer",
        f'threading.Thread(target=statements.execute, args=(run, self), name=f"run-{{run.id[: {n}]}}", daemon=True)'
        '.start()'): "harmless: a statement's thread is named after 7 or 9 characters of its id instead of 8; the name "
       "is read by no code (debuggers and thread dumps only)" for n in (7, 9)},
    **{(file, "NumberReplacer", line): "a run that is not a batch holds exactly one statement: its first is its last"
       for file, line in (("sparkify_nb/local/rehearsal/api.py", "sub = sub or (None if run.batch else run.subs[ -1])"),
                          ("sparkify_nb/local/rehearsal/statements.py", 'out["QueryString"] = run.subs[ -1].sql'))},
    **{("sparkify_nb/local/rehearsal/api.py", "NumberReplacer", f"run.done.wait( {n})"):
       "harmless: CancelStatement waits at most 9 or 11 s instead of 10 for the cancelled run to end; a run ends "
       "within milliseconds of pg_cancel_backend" for n in (9, 11)},
    ("sparkify_nb/local/rehearsal/api.py", "ReplaceComparisonOperator_Gt_GtE",
     "for key in [k for k, r in self.runs.items() if time.time() - r.created >= RETENTION_S]:"):
        "harmless: a statement is forgotten at the very instant it is 24 h old rather than the next one",
    ("sparkify_nb/local/rehearsal/api.py", "ReplaceUnaryOperator_USub_UAdd",
     """raise Failed(f"FATAL: {str(exc).split('FATAL:')[+1].strip()}") from None"""):
        "libpq's message of a refused login holds 'FATAL:' once per server tried, and backing.server_dsn names one "
        "(the embedded PostgreSQL's socket, or the one external host): its part [1] is its last",
}


# serverless.py, serverless_limits.py
_SL = "sparkify_nb/local/rehearsal/serverless.py"
_EQ_SERVERLESS: dict[tuple[str, str, str], str] = {
    (_SL, "NumberReplacer", 'resource = caller_arn.split(":", 6)[-1]'):
        "an IAM ARN has six ':'-separated parts and IAM names and session names hold no ':' (characters "
        "[\\w+=,.@-]): a seventh split finds nothing to split",
    (_SL, "NumberReplacer", 'return "IAM:" + rest.rsplit("/", 2)[-1]'):
        "the last part of an rsplit on '/' is the text after the last '/' whatever the most splits: the user's name",
    **{(_SL, "NumberReplacer", f'until = item.get("_until", {n})'):
       "harmless: only a namespace never in transit has no _until; settling it sets AVAILABLE on an AVAILABLE "
       "namespace" for n in ("1", "-1")},
    **{(_SL, "NumberReplacer", f'item["status"], item["_until"] = "AVAILABLE", {n}'):
       "harmless: a settled item settles again to AVAILABLE on each read until _in_transit sets a new _until"
       for n in ("1", "-1")},
    **{(_SL, "NumberReplacer", f"return rpu == 4 or (8 <= rpu <= {hi} and rpu % 8 == 0) or ({lo} < rpu <= {top} and "
        "rpu % 32 == 0)"): why for hi, lo, top, why in (
        ("513", "512", "1024", "513 is no multiple of 8: the first range's last capacity is 512 either way"),
        ("512", " 513", "1024", "513 is no multiple of 32: the second range's first capacity is 544 either way"),
        ("512", " 511", "1024", "512, now in both ranges, is taken by the first range either way"),
        ("512", "512", "1025", "1025 is no multiple of 32: the last capacity is 1024 either way"))},
    (_SL, "NumberReplacer",
     "return rpu == 4 or ( 7 <= rpu <= 512 and rpu % 8 == 0) or (512 < rpu <= 1024 and rpu % 32 == 0)"):
        "7 is no multiple of 8: the first range's first capacity is 8 either way",
    **{(_SL, "NumberReplacer", f"user, password = mapped_user(who.arn), secrets.token_urlsafe( {n})"):
       "harmless: the temporary password is 33 or 31 random characters instead of 32; the wire door compares it "
       "whole with the ledger's, and AWS documents no length for GetCredentials' dbPassword" for n in (25, 23)},
    (_SL, "ReplaceComparisonOperator_Lt_LtE",
     "return rpu == 4 or (8 <= rpu <= 512 and rpu % 8 == 0) or (512 <= rpu <= 1024 and rpu % 32 == 0)"):
        "512, now in both ranges, is taken by the first range either way",
    (_SL, "ReplaceComparisonOperator_GtE_Gt", 'if until and now > until and item.get("_seen"):'):
        "harmless: a status in transit ends one instant of the monotonic clock later",
    (_SL, "NumberReplacer",
     """raise conflict(f"Namespace {ns['namespaceName']} cannot be deleted while workgroup {used[ -1]} uses it")"""):
        "a namespace has at most one workgroup (rule 4): used holds one name, its first is its last",
    (_SL, "RemoveDecorator", "(removed) @classmethod"):
        "_read is only called on the instance (self._read): cls is then the instance, whose _public is the same "
        "static method",
}


EQUIVALENT: dict[tuple[str, str, str], str] = {
    **{("sparkify_nb/iam/admin.py", "NumberReplacer",
        f"""lines += [f"cat > {{file_name}}.json <<'JSON'", json.dumps(document, indent= {n}), "JSON"]"""):
       "harmless: the indentation of the JSON document the printed shell lines write; IAM reads the same policy"
       for n in (1, 3)},
    (_TR, "NumberReplacer", '''words = " ".join(_WORDS.findall(f"{tree.this} {tree.expression or ''}".upper())[: 3])'''):
        "every entry of COMMANDS has at most two words: a third word never changes which one it starts with",
    **{("sparkify_nb/local/iam/account.py", "NumberReplacer", f"FIRST, LAST = {first}, {last}"):
       "harmless: the account-id range's ends move by one of 9 * 10^10 ids; every id drawn still has 12 digits "
       "and is not moto's default 123456789012"
       for first, last in (("210000000001", "299_999_999_999"), ("209999999999", "299_999_999_999"),
                           ("210_000_000_000", "300000000000"), ("210_000_000_000", "299999999998"))},
    **{("sparkify_nb/local/iam/account.py", kind, f"return str(FIRST + secrets.randbelow(LAST - FIRST {end}))"):
       "harmless: the drawn account id's range loses its last id (LAST) of 9 * 10^10; every id drawn still has 12 "
       "digits and is not moto's default 123456789012"
       for kind, end in (("NumberReplacer", "+ 0"), ("ReplaceBinaryOperator_Add_Sub", "- 1"))},
    **{("sparkify_nb/local/iam/evaluate.py", "NumberReplacer", f"@functools.lru_cache(maxsize= {n})"):
       "harmless: the compiled-pattern cache holds one pattern more or fewer: slower at worst, never different"
       for n in (4095, 4097)},
    ("sparkify_nb/local/iam/evaluate.py", "NumberReplacer", "value = value[ -1] if len(value) == 1 else None"):
        "a list of one value: its first is its last",
    ("sparkify_nb/local/iam/gate.py", "NumberReplacer", 'name = source.rsplit("/", 2)[-1]'):
        "[-1] of rsplit('/', n) is the text after the last '/' for any n >= 1",
    ("sparkify_nb/local/iam/account.py", "ReplaceTrueWithFalse", "path.mkdir(parents=False, exist_ok=True)"):
        "stack._dir(state) has just made <state>/local (parents=True): the accounts folder's parent always exists",
    ("sparkify_nb/local/iam/account.py", "RemoveDecorator", "(removed) @functools.lru_cache(maxsize=128)"):
        "harmless: the module's one decorator, admin_client's lru_cache: without it a new boto3 client each call, "
        "slower, never different (each call registers its own header hook on its own client)",
    ("sparkify_nb/local/iam/evaluate.py", "ReplaceTrueWithFalse", "@dataclass(frozen=False)"):
        "nothing assigns to a Request's or a Decision's fields or hashes one (a Request holds a dict: unhashable "
        "either way); frozen only forbids that",
    ("sparkify_nb/local/iam/evaluate.py", "NumberReplacer",
     'return (not present) == (str(_as_list(wanted_raw)[ -1]).lower() == "true")'):
        'a Null condition takes one value, "true" or "false": its first value is its last',
    ("sparkify_nb/iam/analyst.py", "NumberReplacer",
     'parts = caller_arn.split(":", 6)  # arn:partition:service:region:account:resource'):
        "a caller ARN has no colon after its account: a session name allows [\\w+=,.@-] only "
        "(API_AssumeRole.html), a user's path and name none either, so 6 parts either way",
    ("sparkify_nb/iam/sar.py", "NumberReplacer", "@functools.lru_cache(maxsize= 0)"):
        "harmless: no cache, the same table read again on every call: slower, never different",
    **{(path, "NumberReplacer", f"@functools.lru_cache(maxsize= {n})"):
       "harmless: the cache of a pure function of its arguments (the SAR table's rows, keys and patterns; a botocore "
       "service model) holds one entry more or fewer: slower at worst, never different"
       for path, sizes in (("sparkify_nb/iam/sar.py", (2, 1023, 1025, 4095, 4097)), ("sparkify_nb/iam/plan.py", (7, 9)))
       for n in sizes},
    **{("sparkify_nb/infra/roles.py", "NumberReplacer",
        f"ctx.progress(f\"IAM role {{name}}: created, bounded by {{boundary_arn.rsplit('/', {n})[-1]}}\")"):
       "harmless: a progress line would show the boundary's whole ARN instead of its name" for n in (0, 2)},
    **{("sparkify_nb/infra/roles.py", "NumberReplacer",
        f"ctx.progress(f\"IAM role {{name}}: permissions boundary set to {{boundary_arn.rsplit('/', {n})[-1]}}\")"):
       "harmless: a progress line would show the boundary's whole ARN instead of its name" for n in (0, 2)},
    ("sparkify_nb/infra/roles.py", "NumberReplacer",
     "f\"again under {boundary_arn.rsplit('/', 2)[-1]} (the operator may not change a role's trust)\")"):
        "rsplit('/', n)[-1] is the part after the last '/' for every n >= 1: the same boundary name",
    **{("sparkify_nb/infra/roles.py", "NumberReplacer",
        f'wait(client, "role_exists", ctx.progress, delay_s=ctx.poll_delay_s, timeout_s= {n}, RoleName=name)'):
       "harmless: 01 gives up on a new role IAM has not yet made visible after 119 or 121 s instead of 120"
       for n in (119, 121)},
    ("sparkify_nb/display.py", "NumberReplacer",
     "widths = [max(len(r[i]) for r in rows) for i in range(len(rows[ -1]))]"):
        "every row holds one value per column: the last row is as long as the header row",
    **{(f"sparkify_nb/analytics/sql/{name}.sql", "order", f"{key} DESC"):
       "the rows' order never shows: analytics.queries sums the quarter-hour buckets per local hour (groupby)"
       for name in ("plays_by_hour", "plays_by_weekday_hour") for key in ("1", "2")},
    ("sparkify_nb/warehouse/quality.py", "NumberReplacer",
     """out += [Check(f"unique: {t}." + c[ -1] if len(c) == 1 else f"unique: {t} ({', '.join(c)})", t, _unique_column(c),"""):
        "the branch is taken only when len(c) == 1: c[-1] is c[0]",
    **{("sparkify_nb/analytics/sql/platforms.sql", "order", after):
       "analytics.platforms sorts the rows itself (plays DESC, os, browser; one row per os and browser), so that "
       "both targets agree: the SQL's order never shows" for after in ("ASC", "os DESC", "browser DESC")},
    ("sparkify_nb/staging/load.py", "NumberReplacer",
     "ROWS_PER_INSERT = 101       # keeps one INSERT's text a few KB (the Data API takes statements of 100 KB at most)"):
        "harmless: 101 rows an INSERT for 100 keeps its text a few KB (100 KB allowed), and each commit's parameter "
        "names unique (numbered from 0 in each commit of 40 INSERTs)",
    ("sparkify_nb/analytics/sql/daily_plays.sql", "boundary", "<="):
        "analytics.daily_plays reindexes the rows to the days start_date..end_date: a play at the end instant is on "
        "the day after end_date, whose row is dropped (killed at the start: >= -> >)",
    ("sparkify_nb/iam/admin.py", "ReplaceUnaryOperator_USub_UAdd",
     '''return f"aws iam attach-role-policy --role-name {principal.rsplit('/', 1)[+1]} --policy-arn {policy_arn}"'''):
        "the principal holds ':role/' here, so rsplit('/', 1) has exactly two parts: [+1] is [-1]",
    ("sparkify_nb/local/rehearsal/copy.py", "ReplaceUnaryOperator_USub_UAdd", 'name = role_arn.rsplit("/", 1)[+1]'):
        "_role refuses a role ARN without ':role/' before this line, so rsplit('/', 1) has two parts: [+1] is [-1]",
    ("sparkify_nb/local/rehearsal/sessions.py", "ReplaceComparisonOperator_Gt_GtE",
     "for s in [s for s in self._all.values() if s.closed and now - s.created >= MAX_LIFE_S]:"):
        "harmless: when the reaper forgets a closed session's id (AWS documents no such time; ours is 24 h after "
        "it began) moves by one instant of the clock",
    ("sparkify_nb/local/rehearsal/wire.py", "ZeroIterationForLoop", "for key in []:"):
        "harmless: an ended connection's cancel key stays in the door's table; a CancelRequest with it calls "
        "cancel() on a closed connection, which no client sees (PostgreSQL sends no reply to a CancelRequest)",
    ("sparkify_nb/local/rehearsal/api.py", "NumberReplacer", "one = sub or (None if run.batch else run.subs[ -1])"):
        "a run that is not a batch holds exactly one statement: its first is its last",
    **{("sparkify_nb/local/rehearsal/copy.py", "NumberReplacer", f"caller.copy_state = (query_id, {n}, False)"):
       "the start value is replaced before anything reads its count: a COPY that ends with LoadError fails its run, "
       "whose rollback reads only the flag, and every other end sets copy_state again" for n in ("-1", "1")},
    ("sparkify_nb/iam/admin.py", "NumberReplacer",
     '''return f"aws iam attach-role-policy --role-name {principal.rsplit('/', 2)[-1]} --policy-arn {policy_arn}"'''):
        "the last part of an rsplit on '/' is the text after the last '/' whatever the most splits: the role's name",
    ("sparkify_nb/iam/sar.py", "RemoveDecorator", "(removed) @functools.lru_cache(maxsize=1024)"):
        "harmless: rows() and _arn_regex() without their caches read the same table and compile the same pattern on "
        "every call (rows gives a tuple of frozen Rows, nothing to share wrongly): slower, never different",
    ("sparkify_nb/iam/plan.py", "NumberReplacer",
     'for schedule in (a.rsplit("/", 2)[-1] for a in lease.schedule_arns(settings, account)):'):
        "the last part of an rsplit on '/' is the text after the last '/' whatever the most splits: the name",
    ("sparkify_nb/local/rehearsal/wire.py", "ExceptionReplacer",
     "except (ConnectionError, ssl.SSLError, CosmicRayTestingException):"):
        "harmless: a connection that fails with another OSError (a timeout, a closed socket), logging in or later, ends "
        "with a traceback in the endpoint's log instead of quietly; the client's connection is closed either way",
    **{("sparkify_nb/iam/operator.py", "NumberReplacer",
        f"return json.dumps(policy(settings, account, principal), indent= {n})"):
       "harmless: the printed policy's indentation; the same JSON, and IAM does not count white space against a "
       "policy's size (reference_iam-quotas.html)" for n in (1, 3)},
    ("sparkify_nb/iam/plan.py", "ReplaceUnaryOperator_USub_UAdd",
     'for schedule in (a.rsplit("/", 1)[+1] for a in lease.schedule_arns(settings, account)):'):
        "a schedule's ARN is arn:...:schedule/<group>/<name> (lease.schedule_arns): rsplit('/', 1) has two parts, "
        "[+1] is [-1]",
    ("sparkify_nb/local/rehearsal/serverless.py", "NumberReplacer",
     "return rpu == 4 or ( 7 <= rpu <= 512 and rpu % 8 == 0) or (512 < rpu <= 1024 and rpu % 32 == 0)"):
        "7 is no multiple of 8: the range's first capacity is 8 either way",
    ("sparkify_nb/local/rehearsal/copy.py", "NumberReplacer", "query_id = cur.fetchone()[ -1]"):
        "SELECT nextval(...) returns one column: its first is its last",
    ("sparkify_nb/local/rehearsal/translate.py", "NumberReplacer",
     'mark = f"rehearsal_param_{secrets.token_hex( 5)}"'):
        "harmless: a placeholder's internal column name, replaced before PostgreSQL sees it, is 10 random hex "
        "digits instead of 12",
    # SQL mutants named by "<original> -> <replacement>" (tests/mutants.py, equivalent)
    **{(f"sparkify_nb/warehouse/sql/quality/{name}.sql", "drop predicate", "COUNT(*) > 1 -> TRUE"):
       "the HAVING only leaves out groups of one copy, which add copies - 1 = 0 to the sum"
       for name in ("songs", "songplays")},
    ("sparkify_nb/warehouse/sql/quality/songplays.sql", "drop predicate", "c.start_time IS NOT NULL -> TRUE"):
        "songplays.start_time is NOT NULL on both targets (warehouse/schema.py): the predicate is always true",
    ("sparkify_nb/warehouse/sql/transform/songplays.sql", "drop predicate",
     "p.start_time IN (SELECT ts FROM staging_events WHERE page = 'NextSong' AND ts IS NOT NULL) -> TRUE"):
        "harmless: merged_plays then holds every key of songplays, not only this batch's times; the NOT EXISTS "
        "matches on start_time too, so the same plays are left out (the predicate keeps the temp table small)",
    ("sparkify_nb/analytics/sql/free_vs_paid.sql", "drop predicate", "user_id IS NOT NULL -> TRUE"):
        "a NULL user_id fails the next predicate, user_id <> -1, too (NULL is not true)",
    ("sparkify_nb/analytics/sql/free_vs_paid.sql", "drop predicate", "previous_level IS NOT NULL -> TRUE"):
        "a NULL previous_level fails the next predicate, previous_level <> level, too (NULL is not true)",
    ("sparkify_nb/iam/kinds.py", "ReplaceTrueWithFalse",
     'redshift_only=False, setting="lease_hours"),  # its policy is read first: each 01 makes the lease'):
        "harmless: the flag only filters kinds.actions('local', ...), where the lease role's actions are the other "
        "inline-policy roles' (analyst, scheduler) and the COPY role's, which local keeps: the same set either way "
        "(checked for both kinds, with lease_hours set and not); the lease's schedule row stays redshift-only",
    ("sparkify_nb/iam/rule.py", "ReplaceTrueWithFalse", "@dataclass(frozen=False)"):
        "nothing assigns to a Rule's fields or hashes a Rule; frozen only forbids that",
    ("sparkify_nb/iam/sar.py", "ReplaceTrueWithFalse", "@dataclass(frozen=False)"):
        "nothing assigns to a Row's fields or hashes a Row (rows() caches and shares them); frozen only forbids that",
    ("sparkify_nb/iam/touches.py", "NumberReplacer",
     'tags = t.lookup.role_tags(arn.rsplit("/", 2)[-1]) if arn.split(":")[4:5] == [t.who.account] else {}'):
        "the last piece of an ARN split at its last slash or its last two is the same: the role's name",
    ("sparkify_nb/local/rehearsal/serverless.py", "NumberReplacer",
     "user, password = mapped_user(who.arn), secrets.token_urlsafe( 23)"):
        "harmless: GetCredentials' password is a random token either way; AWS documents no length for it",
    ("sparkify_nb/local/rehearsal/serverless.py", "NumberReplacer",
     "user, password = mapped_user(who.arn), secrets.token_urlsafe( 25)"):
        "harmless: GetCredentials' password is a random token either way; AWS documents no length for it",
    (_ST, 'NumberReplacer',
     'typmod = table[2] if table else - 2'): _BELOW_4,
    (_ST, 'NumberReplacer',
     'typmod = table[2] if table else - 0'): _BELOW_4,
    (_ST, 'ReplaceUnaryOperator_USub_UAdd',
     'typmod = table[2] if table else +1'): _BELOW_4,
    (_ST, 'NumberReplacer',
     'precision, scale = (typmod - 4 if typmod >= 3 else d.internal_size if (d.internal_size or 0) > 0'):
        _STRING_TYPMOD,
    (_ST, 'NumberReplacer',
     'precision, scale = (typmod - 4 if typmod >= 4 else d.internal_size if (d.internal_size or -1) > 0'): _NO_SIZE,
    (_ST, 'NumberReplacer',
     'precision, scale = (((typmod - 3) >> 16, (typmod - 4) & 0xFFFF) if typmod >= 4'): _NO_CARRY,
    (_ST, 'NumberReplacer',
     'precision, scale = (((typmod - 4) >> 16, (typmod - 4) & 0xFFFF) if typmod >= 3'): _NUMERIC_TYPMOD,
    (_ST, 'ReplaceBinaryOperator_Sub_Add',
     'precision, scale = (((typmod + 4) >> 16, (typmod - 4) & 0xFFFF) if typmod >= 4'): _NO_CARRY,
    **_EQ_STATEMENTS, **_EQ_WIRE_COPY, **_EQ_API, **_EQ_SERVERLESS,
}


class UnknownRoom(ValueError):
    """PKG names no room's folder, module or SQL file."""


def select(pkg: str) -> tuple[Room, list[Path]]:
    """The room ``pkg`` belongs to and the files of that room under ``pkg`` (a folder or a file,
    relative to the project root), or all of a room's files when ``pkg`` is its name (``analytics``,
    ``rehearsal-endpoint``). Raises :class:`UnknownRoom` naming the rooms when none holds it."""
    for room in ROOMS:
        if pkg.replace("-", " ") == room.name:
            return room, room.files()
    wanted = Path(pkg.rstrip("/"))
    if wanted.is_absolute():
        wanted = wanted.resolve().relative_to(ROOT)
    for room in ROOMS:
        files = [f for f in room.files() if f == wanted or wanted in f.parents]
        if files:
            return room, files
    known = "; ".join(f"{r.name}: {', '.join(r.paths)}" for r in ROOMS)
    raise UnknownRoom(f"PKG={pkg} is in no room of tests/mutation_rooms.py (rooms: {known})")
