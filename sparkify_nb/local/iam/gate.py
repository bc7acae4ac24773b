"""The IAM gate in front of the AWS emulator (issue 25, item 1): a WSGI middleware
around moto's server app, in the emulator's own process
(:mod:`sparkify_nb.local.aws_emulator`), that authorises every request a
rehearsal's operator signs before moto serves it.

- Who is gated: a request signed with the access key of a rehearsal account's
  ``sparkify-operator`` (:mod:`.account`), read from moto's IAM in-process, or
  with the temporary key of a session of one of the account's roles (04's
  analyst, the lease role: :func:`session_of`), which acts with the role's own
  policies within its permissions boundary. The account's administrator, the
  ``local`` target (moto's default account) and the local stack's own reads
  are not.
- What is asked: :func:`sparkify_nb.iam.touches.authorisations` (the action, each resource,
  the request context; the extra authorisations AWS makes), each decided by
  :func:`decide` with the principal's policies as moto's IAM holds them
  (inline and attached managed policies, and a role's boundary; parsed once
  per version: a change of policy is seen at the next request); and an
  ``sts:AssumeRole`` on a role of the account by the role's trust policy too
  (:mod:`.trust`).
- A refusal is answered as the service answers it, with
  :meth:`.authorize.Verdict.message` ("Access denied error messages",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied-error-messages.html):
  EC2 ``UnauthorizedOperation`` (HTTP 403, its Errors/Error XML, "You are not
  authorized to perform this operation."; EC2 API "Error codes",
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html);
  IAM, STS and Redshift ``AccessDenied`` (403, the query protocol's
  ErrorResponse); CloudWatch Logs and other JSON services
  ``AccessDeniedException`` (400); S3 ``AccessDenied`` (403, its Error XML).
- Every decision on the operator's requests is noted for the run's permissions report
  (``<state>/local/accounts/<account>.permissions.jsonl``: each distinct
  action, resource and the Sid that allowed or the reason it refused), and
  every request the gate could not read (an operation not in
  :data:`sparkify_nb.iam.touches.TOUCHES` whose SAR entry requires a resource) as
  ``unevaluated``.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

from ...iam import touches
from . import requests, trust
from .account import OPERATOR
from .authorize import Verdict, context_for, document
from .evaluate import Decision, Request, evaluate

log = logging.getLogger(__name__)

JSON_SERVICES = ("logs", "secretsmanager", "events", "scheduler")


class Policies:
    """The policies of a rehearsal account's operator (an IAM user) or of a role whose session signs,
    per (account, kind, name), parsed once per version of them; and the permissions boundary."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], tuple[Any, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def of(self, entity: Any) -> list[dict[str, Any]]:
        """The identity policies of ``entity`` (moto's user or role): inline and attached managed."""
        inline = tuple(sorted(entity.policies.items()))
        attached = tuple(sorted((arn, p.default_version_id) for arn, p in entity.managed_policies.items()))
        version = (inline, attached)
        key = (entity.account_id, type(entity).__name__, entity.name)
        with self._lock:
            held = self._cache.get(key)
            if held and held[0] == version:
                return held[1]
        docs = [document(text) for _, text in inline]
        for arn, version_id in attached:
            docs += [document(v.document) for v in entity.managed_policies[arn].versions if v.version_id == version_id]
        with self._lock:
            self._cache[key] = (version, docs)
        return docs

    @staticmethod
    def boundary(entity: Any) -> dict[str, Any] | None:
        """The permissions boundary's document of ``entity`` (None: it has none). A boundary whose policy
        is gone allows nothing (the strictest reading: unconfirmed what IAM does then)."""
        from moto.iam.models import iam_backends

        arn = getattr(entity, "permissions_boundary_arn", None)
        if not arn:
            return None
        policy = iam_backends[entity.account_id]["aws"].managed_policies.get(arn)
        found = [v.document for v in policy.versions if v.version_id == policy.default_version_id] if policy else []
        return document(found[0]) if found else {"Version": "2012-10-17", "Statement": []}


class Notes:
    """The permissions report's raw notes: each distinct (action, resource, outcome) once per account."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._seen: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def note(self, account: str, **entry: str) -> None:
        if self.folder is None:
            return
        key = (account, *entry.values())
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
            with open(self.folder / f"{account}.permissions.jsonl", "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")


def principal_of(key_id: str) -> tuple[requests.Principal, Any] | None:
    """(principal, moto user or role) of a key a rehearsal account gates: its operator's, or the
    temporary key of a session of one of its roles (:func:`session_of`); else None."""
    from moto.iam.models import iam_backends

    for account_id, backends in list(iam_backends.items()):
        backend = backends["aws"]
        key = backend.access_keys.get(key_id)
        if key is None:
            continue
        if key.user_name is None:  # a temporary key (STS makes them as the role's account's: moto's AccessKey)
            return session_of(key_id)
        if key.user_name != OPERATOR:
            return None
        user = backend.users.get(OPERATOR)
        if user is None:
            return None
        return requests.Principal(account_id, user.arn, user.name, user.id), user
    return None


def session_of(key_id: str) -> tuple[requests.Principal, Any] | None:
    """(principal, moto role) of a role session's temporary key (what STS AssumeRole issued), in a
    rehearsal account (one with an operator), else None. The session acts with its role's policies and
    within its boundary ("a role session's permissions are the intersection of the role's identity-based
    policies and its permissions boundary",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html); aws:PrincipalArn is
    the role's ARN and aws:userid ``<role id>:<session name>`` ("AWS global condition context keys",
    reference_policies_condition-keys.html). A session of a role that does not exist (moto lets one be
    assumed) is not gated (unconfirmed: AWS refuses the AssumeRole itself)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account_id, backends in list(sts_backends.items()):
        session = backends["aws"].get_assumed_role_from_access_key(key_id)
        if session is None:
            continue
        iam = iam_backends[account_id]["aws"]
        if OPERATOR not in iam.users:
            return None
        try:
            role = iam.get_role_by_arn(session.role_arn)
        except Exception:
            return None
        return requests.Principal(account_id, session.arn, session.session_name, f"{role.id}:{session.session_name}",
                                  "AssumedRole", role.arn), role
    return None


def decide(auth: requests.Authorisation, identity: list[dict[str, Any]],
           boundary: dict[str, Any] | None = None) -> Verdict:
    """:class:`Verdict` of one authorisation by a principal holding ``identity`` within ``boundary``:
    each resource with the request's keys its SAR row lists and its own (its tags)."""
    decisions: list[tuple[str, Decision]] = []
    for resource in auth.resources or ["*"]:
        context = context_for(auth.action, resource, {**auth.context, **auth.per_resource.get(resource, {})})
        decision = evaluate(identity, Request(auth.action, resource, context), boundary)
        decisions.append((resource, decision))
        if not decision.allowed:
            return Verdict(False, auth.action, resource, tuple(decisions))
    return Verdict(True, auth.action, decisions[-1][0], tuple(decisions))


def refusal(service: str, verdict: Verdict, principal: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the service's answer to a request IAM refused."""
    message = verdict.message(principal)
    request_id = str(uuid.uuid4())
    if service == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>UnauthorizedOperation"
                f"</Code><Message>{_xml('You are not authorized to perform this operation. ' + message)}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
        return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()
    if service in JSON_SERVICES:
        body = json.dumps({"__type": "AccessDeniedException", "message": message})
        return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                   ("x-amzn-RequestId", request_id)], body.encode()
    if service == "s3":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"
                f"{_xml(message)}</Message><RequestId>{request_id}</RequestId></Error>")
        return "403 Forbidden", [("Content-Type", "application/xml")], body.encode()
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{_xml(message)}"
            f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()


def _members(params: dict[str, Any], prefix: str) -> list[str]:
    return requests.listed(params, prefix)


def simulation_context(params: dict[str, Any]) -> dict[str, Any]:
    """The ``ContextEntries`` of a SimulatePrincipalPolicy request as a request context."""
    out: dict[str, Any] = {}
    n = 1
    while f"ContextEntries.member.{n}.ContextKeyName" in params:
        head = f"ContextEntries.member.{n}."
        values = _members(params, head + "ContextKeyValues")
        many = params.get(head + "ContextKeyType", "string").endswith("List")
        out[params[head + "ContextKeyName"]] = values if many else (values[0] if values else "")
        n += 1
    return out


def simulate(params: dict[str, Any], who: requests.Principal) -> tuple[str, list[tuple[str, str]], bytes]:
    """IAM's answer to ``SimulatePrincipalPolicy`` for a principal of the rehearsal account, from the
    same evaluator (issue 25, item 7: 01's permissions row is executed in a rehearsal): each action on
    each resource (``*`` when none is given) with the given context entries, as the simulator applies
    them, to every resource alike ("Simulate ... the context keys ... you provide",
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html)."""
    from moto.iam.models import iam_backends

    source = params.get("PolicySourceArn", "")
    backend = iam_backends[who.account]["aws"]
    name = source.rsplit("/", 1)[-1]
    user = backend.users.get(name) if ":user/" in source else None
    if user is None:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>{_xml(source)} "
                f"cannot be simulated here: only the rehearsal's own users are</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
        return "404 Not Found", [("Content-Type", "text/xml")], body.encode()
    identity = Policies().of(user)
    context = {"aws:PrincipalArn": user.arn, "aws:userid": user.id, "aws:username": user.name,
               **simulation_context(params)}
    members = []
    for action in _members(params, "ActionNames"):
        for resource in _members(params, "ResourceArns") or ["*"]:
            decision = evaluate(identity, Request(action, resource, context))
            verdict = {"allowed": "allowed", "explicit deny": "explicitDeny"}.get(decision.why, "implicitDeny")
            members.append(f"<member><EvalActionName>{_xml(action)}</EvalActionName><EvalResourceName>"
                           f"{_xml(resource)}</EvalResourceName><EvalDecision>{verdict}</EvalDecision>"
                           "<MatchedStatements/><MissingContextValues/></member>")
    body = ('<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}"
            f"</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}"
            "</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")
    return "200 OK", [("Content-Type", "text/xml")], body.encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Gate:
    """The WSGI middleware (module docstring). ``folder``: where the notes go (None: nowhere)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], folder: Path | None = None):
        self.app, self.policies, self.notes = app, Policies(), Notes(folder)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = requests.signed(environ.get("HTTP_AUTHORIZATION", ""))
        found = principal_of(scope[0]) if scope else None
        if found is None:
            return self.app(environ, start_response)
        who, user = found
        try:
            answer = self._check(environ, who, user)
        except Exception:  # the gate's own fault must not pass as an AWS answer: refuse, say why in the log
            log.exception("the IAM gate failed on a request; refusing it")
            answer = ("500 Internal Server Error", [("Content-Type", "text/plain")], b"IAM gate error")
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        if environ.get("REQUEST_METHOD") == "HEAD":
            body = b""
        start_response(status, headers + [("Content-Length", str(len(body)))])
        return [body]

    def _body(self, environ: dict[str, Any], service: str, method: str, query: str) -> bytes | None:
        """The request body where the gate needs it (query and JSON protocols, S3's DeleteObjects), put
        back for moto to read; an S3 object's body is never read here."""
        if service == "s3" and not (method == "POST" and "delete" in query):
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _check(self, environ: dict[str, Any], who: requests.Principal, user: Any) -> Any:
        method, query = environ.get("REQUEST_METHOD", "GET"), environ.get("QUERY_STRING", "")
        _, _, service = requests.signed(environ["HTTP_AUTHORIZATION"])
        body = self._body(environ, service, method, query)
        headers = {"authorization": environ.get("HTTP_AUTHORIZATION", ""),
                   "x-amz-target": environ.get("HTTP_X_AMZ_TARGET", "")}
        call = requests.parse(method, environ.get("PATH_INFO", "/"), query, headers, body)
        if call is None:
            return None
        wanted = touches.authorisations(call, who, requests.Lookup(who.account, call.region))
        if wanted is None:
            self.notes.note(who.account, action=f"{call.service}:{call.operation}", resource="?", sid="",
                            outcome="unevaluated")
            return None
        identity, boundary = self.policies.of(user), self.policies.boundary(user)
        for auth in wanted:
            verdict = decide(auth, identity, boundary)
            for resource, decision in verdict.decisions:
                if who.kind == "User":  # the report is the operator policy's; a role's own is not in it
                    self.notes.note(who.account, action=auth.action, resource=resource, sid=decision.sid,
                                    outcome=decision.why)
            if not verdict.allowed:
                log.info("refused: %s", verdict.message(who.arn))
                return refusal(call.service, verdict, who.arn)
        for auth in wanted:
            refused = self._trust(auth, who)
            if refused is not None:
                log.info("refused: %s", refused.message(who.arn))
                return refusal(call.service, refused, who.arn)
        if (call.service, call.operation) == ("iam", "SimulatePrincipalPolicy"):
            return simulate(call.params, who)
        return None

    @staticmethod
    def _trust(auth: requests.Authorisation, who: requests.Principal) -> Verdict | None:
        """The refusal of an ``sts:AssumeRole`` on a role of the caller's account whose trust policy does
        not let the caller assume it (:mod:`.trust`); None otherwise."""
        if auth.action != "sts:AssumeRole" or not auth.resources or auth.resources[0].split(":")[4:5] != [who.account]:
            return None
        role = requests.Lookup(who.account, "").role(auth.resources[0].rsplit("/", 1)[-1])
        if role is None:
            return None  # the service answers for a role that does not exist
        resource = auth.resources[0]
        decision = trust.decide(document(role.assume_role_policy_document), who, auth.context)
        return None if decision.allowed else Verdict(False, auth.action, resource, ((resource, decision),))


__all__ = ["Gate", "Policies", "decide", "principal_of", "refusal"]
