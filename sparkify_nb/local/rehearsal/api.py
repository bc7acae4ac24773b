"""The operations of the endpoint: ExecuteStatement, BatchExecuteStatement,
DescribeStatement, GetStatementResult, CancelStatement and ListStatements,
each taking the request's members (already checked against the service
model by :mod:`.server`) and the Region it was signed for, and returning the
response's members (the rules: :mod:`sparkify_nb.local.rehearsal`)."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import backing, execute, statements, translate
from .control import ControlPlane
from .errors import ApiError, not_found, validation
from .sessions import Sessions
from .statements import Failed, Run

MAX_SQL_BYTES = 100 * 1024   # "The maximum query statement size is 100 KB."
MAX_ACTIVE = 200             # "The maximum number of active queries (STARTED and SUBMITTED) per cluster is 200."
RETENTION_S = 24 * 3600      # "The maximum retention time for query results is 24 hours."
_TARGET_KEYS = ("ClusterIdentifier", "WorkgroupName", "Database", "DbUser", "SecretArn")


@dataclass
class Target:
    """Where a submission runs: the cluster (DescribeClusters entry), the Redshift database
    and user the request names, the backing PostgreSQL database, the signing Region."""

    region: str
    cluster: dict[str, Any]
    database: str
    user: str
    dbname: str
    serverless: bool = False

    @property
    def account(self) -> str:
        """The emulator account the cluster or workgroup is in (``""``: the default one)."""
        return self.cluster.get("_account", "")

    @property
    def identifier(self) -> str:
        return self.cluster["ClusterIdentifier"]

    def names(self) -> dict[str, str]:
        """How the Data API names the target in its answers: ``WorkgroupName`` or ``ClusterIdentifier``."""
        return {"WorkgroupName" if self.serverless else "ClusterIdentifier": self.identifier}


class Endpoint:
    """The Data API's state: statements (kept 24 hours), sessions, the control plane."""

    def __init__(self, state: Path | None = None):
        self.state = state
        self.control = ControlPlane(state)
        self.sessions = Sessions()
        from .serverless import Serverless

        self._serverless: dict[str, Serverless] = {}
        from .authorise import Gate

        self.gate = Gate(self)
        self.runs: dict[str, Run] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def serverless_of(self, account: str) -> Any:
        """Redshift Serverless of ``account`` (each emulator account has its own, as on AWS)."""
        from .serverless import Serverless

        with self._lock:
            if account not in self._serverless:
                self._serverless[account] = Serverless(self.control, self.state, account)
            return self._serverless[account]

    # --- submitting -------------------------------------------------------------------------

    def execute_statement(self, req: dict[str, Any], region: str, authorization: str = "") -> dict[str, Any]:
        return self._submit(req, region, [req["Sql"]], batch=False, authorization=authorization)

    def batch_execute_statement(self, req: dict[str, Any], region: str, authorization: str = "") -> dict[str, Any]:
        return self._submit(req, region, req["Sqls"], batch=True, authorization=authorization)

    def _submit(self, req: dict[str, Any], region: str, sqls: list[str], batch: bool,
                authorization: str = "") -> dict[str, Any]:
        token = req.get("ClientToken")
        if token and token in self.tokens:
            return self.tokens[token]  # idempotent: the same submission, not a second one
        for sql in sqls:
            if len(sql.encode("utf-8")) > MAX_SQL_BYTES:
                raise validation("The maximum query statement size is 100 KB; this statement is "
                                 f"{len(sql.encode('utf-8')):,} bytes")
        parameters = req.get("Parameters") or []
        try:
            parsed = [translate.parse(sql) for sql in sqls]
        except translate.ParameterError as exc:
            raise validation(str(exc)) from None
        _check_parameters(parsed, parameters)
        session, target = self._where(req, region, authorization)
        try:
            self._check_active(target)
            owner = self.control.caller(authorization, region).userid if authorization else ""
            run = statements.new_run(sqls, parsed, batch, target, parameters, session=session, owner=owner,
                                     name=req.get("StatementName", ""), result_format=req.get("ResultFormat", "JSON"),
                                     mode=req.get("ExecutionMode", "TRANSACTION"))
        except translate.ParameterError as exc:
            self._give_back(session)
            raise validation(str(exc)) from None
        except ApiError:
            self._give_back(session)
            raise
        with self._lock:
            self.runs[run.id] = run
        threading.Thread(target=statements.execute, args=(run, self), name=f"run-{run.id[:8]}", daemon=True).start()
        if req.get("WaitTimeSeconds"):
            run.done.wait(req["WaitTimeSeconds"])
        response = {"Id": run.id, "CreatedAt": run.created, "Database": target.database, "DbUser": target.user,
                    **target.names()}
        if session is not None:
            response["SessionId"] = session.id
            self.gate.session_owners.setdefault(session.id, owner)
        if req.get("WaitTimeSeconds"):  # a batch "HasResultSet ... true if any substatement returns a result set"
            response.update(Status=run.status, RedshiftPid=run.pid, HasResultSet=any(s.has_result for s in run.subs))
        if token:
            self.tokens[token] = response
        return response

    def _give_back(self, session: Any) -> None:
        if session is not None:
            self.sessions.release(session)

    def _where(self, req: dict[str, Any], region: str, authorization: str = "") -> tuple[Any, Target]:
        """(session or None, target) of a submission; refuses what the Data API refuses."""
        if req.get("SessionId"):
            given = [k for k in _TARGET_KEYS if req.get(k)]
            if given:  # the session already names them (unconfirmed: AWS's docs do not say)
                raise validation(f"{', '.join(given)} cannot be given with SessionId: the session names them")
            session = self.sessions.take(req["SessionId"], req.get("SessionKeepAliveSeconds"))
            try:
                self._cluster(session.target.identifier, session.target.region, session.target.serverless,
                              session.target.account)
            except ApiError:
                self._give_back(session)
                raise
            return session, session.target
        if req.get("SecretArn"):
            raise validation("this rehearsal serves temporary credentials only (ClusterIdentifier, Database, DbUser; "
                             "or WorkgroupName, Database), not Secrets Manager secrets")
        if req.get("WorkgroupName"):
            return self._workgroup(req, region, authorization)
        if not req.get("ClusterIdentifier"):
            raise validation("Either ClusterIdentifier or WorkgroupName is required (or SessionId)")
        if not req.get("Database"):
            raise validation("Database is required when connecting to a cluster with temporary credentials")
        if not req.get("DbUser"):
            raise validation("DbUser is required: this rehearsal connects to a cluster as a database user "
                             "(redshift:GetClusterCredentials), not as an IAM identity")
        cluster = self.control.cluster(req["ClusterIdentifier"], region, self.control.account_of(authorization, region))
        dbname = backing.ensure(self.state, cluster, on_recreate=self.sessions.close_database)
        target = Target(region, cluster, req["Database"], req["DbUser"], dbname)
        return self._session(req, target)

    def _session(self, req: dict[str, Any], target: Target) -> tuple[Any, Target]:
        keep_alive = req.get("SessionKeepAliveSeconds")
        if keep_alive:
            try:
                return self.sessions.open(target, keep_alive, lambda: self.connect(target)), target
            except Failed as exc:  # the statement would fail to connect: let it fail as a statement
                return None, _failing_target(target, str(exc))
        return None, target

    def _workgroup(self, req: dict[str, Any], region: str, authorization: str) -> tuple[Any, Target]:
        """Rule 6, Serverless: ``WorkgroupName`` and ``Database``, as the signer's IAM identity
        (``IAM:<user>`` / ``IAMR:<role>``, :func:`.serverless.mapped_user`), a user made at its first
        sign-in ("made at its first sign-in": redshift-iam-access-federated-db-roles.html), not a superuser."""
        from .serverless import mapped_user

        if req.get("ClusterIdentifier") or req.get("DbUser"):
            raise validation("WorkgroupName takes neither ClusterIdentifier nor DbUser: on Serverless the database "
                             "user is the caller's IAM identity")
        if not req.get("Database"):
            raise validation("Database is required when connecting to a workgroup")
        who = self.control.caller(authorization, region)
        cluster = self._cluster(req["WorkgroupName"], region, True, who.account)
        user = mapped_user(who.arn)
        dbname = backing.ensure(self.state, cluster, on_recreate=self.sessions.close_database)
        if not backing.is_user(self.state, dbname, user):
            backing.add_user(self.state, dbname, user)
        target = Target(region, cluster, req["Database"], user, dbname, serverless=True)
        return self._session(req, target)

    def _cluster(self, name: str, region: str, serverless: bool, account: str) -> dict[str, Any]:
        if serverless:
            return self.serverless_of(account).as_cluster(name, region)
        return self.control.cluster(name, region, account)

    def _check_active(self, target: Target) -> None:
        with self._lock:
            active = sum(1 for r in self.runs.values() if r.status in ("SUBMITTED", "PICKED", "STARTED")
                         and r.target.identifier == target.identifier)
        if active >= MAX_ACTIVE:
            raise ApiError("ActiveStatementsExceededException",
                           f"The maximum number of active queries per cluster ({MAX_ACTIVE}) is reached")

    # --- running (called by statements.execute) -------------------------------------------

    def connect(self, target: Target) -> Any:
        """A connection to the target's database as its DbUser; :class:`Failed` as Redshift's login fails."""
        import psycopg2

        if getattr(target, "failure", ""):
            raise Failed(target.failure)
        if target.database != target.cluster.get("DBName"):
            raise Failed(f'FATAL: database "{target.database}" does not exist')
        if not backing.is_user(self.state, target.dbname, target.user):
            raise Failed(f'FATAL: user "{target.user}" does not exist')
        try:
            return backing.connect(self.state, target.dbname, target.user)
        except psycopg2.OperationalError as exc:  # libpq's "connection to server ... failed: FATAL:  <reason>"
            raise Failed(f"FATAL: {str(exc).split('FATAL:')[-1].strip()}") from None

    def run_one(self, conn: Any, run: Run, sub: statements.Sub, in_batch: bool) -> None:
        """Run one statement of ``run`` on ``conn`` (inside the batch's transaction when ``in_batch``)
        with the executor both doors share; its result set kept as Data API records."""
        done = execute.run_one(self._caller(run), conn, sub.parsed, sub.params,
                               lambda cur: statements.fetch(cur, sub), in_batch)
        sub.query_id = done.query_id  # a COPY's id, -1 for any other statement (each sub runs once)
        if not sub.has_result:
            sub.result_rows = done.rows

    def _caller(self, run: Run) -> execute.Caller:
        if run.caller is None:
            run.caller = execute.Caller(run.target, self.control, self.state,
                                        after_rollback=lambda conn: self.after_rollback(conn, run))
        return run.caller

    def after_commit(self, conn: Any, run: Run) -> None:
        copy_state = run.caller.copy_state if run.caller else None
        if run.session is not None and copy_state:
            run.session.last_copy = copy_state[:2]

    def after_rollback(self, conn: Any, run: Run) -> None:
        """A COPY that failed on its data keeps its id in ``pg_last_copy_id()`` (PG_LAST_COPY_ID.html);
        any other rollback restores the session's value before it."""
        copy_state = run.caller.copy_state if run.caller else None
        if run.session is None:
            return
        if copy_state and copy_state[2]:
            run.session.last_copy = (copy_state[0], 0)
        from .copy import set_last_copy

        set_last_copy(conn, *run.session.last_copy)

    # --- reading ----------------------------------------------------------------------------

    def _find(self, statement_id: str) -> tuple[Run, statements.Sub | None]:
        base, _, number = statement_id.partition(":")
        self._prune()
        run = self.runs.get(base)
        if run is None:
            raise not_found(f"Query does not exist: {statement_id}", statement_id)
        if not number:
            return run, None
        if not run.batch or not number.isdigit() or not 1 <= int(number) <= len(run.subs):
            raise not_found(f"Query does not exist: {statement_id}", statement_id)
        return run, run.subs[int(number) - 1]

    def _prune(self) -> None:
        with self._lock:
            for key in [k for k, r in self.runs.items() if time.time() - r.created > RETENTION_S]:
                del self.runs[key]

    def describe_statement(self, req: dict[str, Any], region: str) -> dict[str, Any]:
        run, sub = self._find(req["Id"])
        if req.get("WaitTimeSeconds"):
            run.done.wait(req["WaitTimeSeconds"])
        out = {"Id": req["Id"], "DbUser": run.target.user, "Database": run.target.database,
               **run.target.names(), "CreatedAt": run.created, "UpdatedAt": run.updated,
               "Status": run.status, "RedshiftPid": run.pid, "ResultFormat": run.result_format}
        one = sub or (None if run.batch else run.subs[0])
        if one is not None:
            out.update(statements.sub_data(one))
            out.update(Id=req["Id"], Status=one.status if sub else run.status)
        else:
            out.update(SubStatements=[statements.sub_data(s) for s in run.subs],
                       HasResultSet=any(s.has_result for s in run.subs),
                       Duration=sum(max(s.duration_ns, 0) for s in run.subs) if run.status in statements.DONE else -1)
        if run.error:
            out["Error"] = run.error
        if run.parameters:
            out["QueryParameters"] = run.parameters
        if run.session is not None:
            out["SessionId"] = run.session.id
        if run.batch:
            out["ExecutionMode"] = run.mode
        return out

    def get_statement_result(self, req: dict[str, Any], region: str) -> dict[str, Any]:
        run, sub = self._find(req["Id"])
        if req.get("WaitTimeSeconds"):
            run.done.wait(req["WaitTimeSeconds"])
        sub = sub or (None if run.batch else run.subs[0])
        if sub is None:
            raise validation("This is a batch: fetch the result of one of its statements (Id:N)")
        if run.result_format != "JSON":
            raise validation("GetStatementResult returns JSON results only; this statement asked for "
                             f"ResultFormat {run.result_format} (use GetStatementResultV2)")
        if sub.status != "FINISHED" or not sub.has_result:
            raise validation("Query does not have result. Please check query status with DescribeStatement.")
        token = req.get("NextToken")
        try:
            return statements.page(sub, token)
        except (ValueError, IndexError):
            raise validation(f"NextToken {token!r} is not valid for this statement") from None

    def cancel_statement(self, req: dict[str, Any], region: str) -> dict[str, Any]:
        run, _ = self._find(req["Id"])
        if run.status in statements.DONE:
            raise validation(f"Could not cancel a query that is already in {run.status} state.")
        run.cancelled = True
        if run.pid:
            conn = backing.connect(self.state, run.target.dbname)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_cancel_backend(%s)", (run.pid,))
            finally:
                conn.close()
        run.done.wait(10)
        return {"Status": True}

    def list_statements(self, req: dict[str, Any], region: str, authorization: str) -> dict[str, Any]:
        """ListStatements (API_ListStatements.html): "By default, only finished statements are shown";
        ``ClusterIdentifier`` "Only statements that ran on this cluster are returned", ``WorkgroupName`` the
        same of a workgroup, and "When providing ClusterIdentifier, then WorkgroupName can't be specified"
        (ValidationException; wording unconfirmed). Only the signer's own statements: ``RoleLevel`` "If true, all
        statements run by the caller's IAM role are returned. If false, only statements run by the caller's IAM
        role in the current IAM session ... The default is true" (an IAM user's unique id names no session:
        its own statements either way)."""
        if req.get("ClusterIdentifier") and req.get("WorkgroupName"):
            raise validation("ListStatements takes ClusterIdentifier or WorkgroupName, not both")
        status = req.get("Status", "FINISHED")
        limit = req.get("MaxResults") or 100
        where = [(serverless, req[key]) for serverless, key in ((False, "ClusterIdentifier"), (True, "WorkgroupName"))
                 if req.get(key)]
        caller = self.control.caller(authorization, region).userid
        level = (lambda userid: userid.split(":")[0]) if req.get("RoleLevel", True) else (lambda userid: userid)
        self._prune()
        with self._lock:
            runs = sorted(self.runs.values(), key=lambda r: r.created, reverse=True)
        chosen = [r for r in runs if (status == "ALL" or r.status == status)
                  and level(r.owner) == level(caller)
                  and r.target.region == region
                  and r.name.startswith(req.get("StatementName", ""))
                  and all((r.target.serverless, r.target.identifier) == w for w in where)
                  and (not req.get("Database") or r.target.database == req["Database"])]
        try:
            start = statements.list_offset(req.get("NextToken"))
        except ValueError:
            raise validation(f"NextToken {req['NextToken']!r} is not valid for ListStatements") from None
        out: dict[str, Any] = {"Statements": [statements.statement_data(r) for r in chosen[start:start + limit]]}
        if start + limit < len(chosen):
            out["NextToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return out


def _failing_target(target: Target, failure: str) -> Target:
    target.failure = failure  # type: ignore[attr-defined]
    return target


def _check_parameters(parsed: list[translate.Statement], parameters: list[dict[str, str]]) -> None:
    """Every parameter given is used (BatchExecuteStatement ``Parameters``: "Each provided parameter
    must be referenced by at least one SQL statement in the batch"; the same is required of
    ExecuteStatement here, unconfirmed) and named once."""
    names = [p["name"] for p in parameters]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise validation(f"parameter(s) {', '.join(twice)} given more than once")
    used = set().union(*(p.names for p in parsed))
    unused = sorted(set(names) - used)
    if unused:
        raise validation(f"parameter(s) {', '.join(unused)} not referenced by any SQL statement: each provided "
                         "parameter must be referenced by at least one SQL statement")
