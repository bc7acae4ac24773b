"""01's preflight: what it needs, checked before anything is made.

- who the caller is (``sts:GetCallerIdentity``: account and ARN; it needs no
  permission: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html);
- the region, one where Redshift runs (botocore's endpoint list);
- the caller's permissions, simulated with ``iam:SimulatePrincipalPolicy``
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html)
  for every call the run makes, on each resource it touches with the context
  that call carries there (:func:`simulations`, from :mod:`sparkify_nb.iam.plan`:
  the requests 01 -> 04 -> 99 send, read by the rehearsal gate's own table of
  what each touches, never from the policy's conditions: a policy whose
  condition names a wrong value fails here, as the call would on AWS);
  an assumed role by its real ARN with its path (:func:`role_with_path`: an
  IAM Identity Center role lives under ``/aws-reserved/...``).
  When the caller may not simulate, or is not a user or role, the row says so
  and 01 goes on;
- the permissions boundary the administrator makes (:mod:`.boundary`): it
  exists with exactly the document the stack needs, else the row fails with
  the administrator's command (on the emulator the local stack plays the
  administrator in 01, and the row says so);
- each S3 source: its bucket's region (``GetBucketLocation``: ``None`` means
  us-east-1 and ``EU`` eu-west-1, as its API reference says:
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html),
  which is COPY's ``REGION`` ("If the Amazon S3 buckets that hold the data
  files don't reside in the same AWS Region as your cluster, you must use the
  REGION parameter": https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html),
  and that its prefix can be listed and holds objects. With ``access =
  data_api`` a bucket in another region is refused: with enhanced VPC routing
  a private warehouse reaches S3 only through the gateway endpoint, which
  serves its own region only
  (https://docs.aws.amazon.com/redshift/latest/mgmt/enhanced-vpc-enabling-cluster.html).

:func:`run` returns a :class:`Preflight`: the table (``check, state, result,
what to do``) and the record 01 stores (``account``, ``caller_arn``,
``source_regions`` per source, ``source_region`` when they agree);
:meth:`Preflight.require` stops 01 on a failed check, saying what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from .. import aws
from ..display import Table
from ..config import Settings, local_bucket
from ..iam import operator as access, plan
from ..iam.boundary import policy_name as boundary_policy_name
from ..s3uri import parse_s3_uri
from . import boundary
from .errors import InfraError

COLUMNS = ["check", "state", "result", "what to do"]
SOURCES = ("song_data", "log_data", "log_jsonpath")
OWN_DATA = ("put generated data into a bucket of your own: sparkify-nb generate --out s3://your-bucket/sparkify, then "
            "set [s3] song_data = s3://your-bucket/sparkify/song_data, log_data = s3://your-bucket/sparkify/log_data, "
            "log_jsonpath = s3://your-bucket/sparkify/log_json_path.json")


class PreflightError(InfraError):
    """A preflight check failed; the message says which and what to do."""


@dataclass
class Preflight:
    """The preflight's ``table`` and the ``record`` 01 stores in the state file."""

    table: pd.DataFrame
    record: dict[str, Any] = field(default_factory=dict)

    def report(self) -> Table:
        """The table to show (:class:`~sparkify_nb.display.Table`: rich in
        JupyterLab, aligned text when printed), the ``result`` column coloured;
        the ``what to do`` column only when some check has something to do."""
        shown = self.table
        if not shown["what to do"].fillna("").astype(str).str.strip().any():
            shown = shown.drop(columns="what to do")
        return Table(shown, "preflight", status="result")

    def require(self) -> None:
        """Raise :class:`PreflightError` naming every failed check and what to do; nothing when all passed."""
        failed = self.table[self.table["result"] == "fail"]
        if len(failed):
            raise PreflightError("preflight failed, nothing was made: " + "; ".join(
                f"{check}: {state}. What to do: {todo}" for check, state, _, todo in failed.itertuples(index=False)))


def bucket_region(s3: Any, bucket: str) -> str:
    """The region of ``bucket`` (COPY's ``REGION``). ``GetBucketLocation``,
    and where the caller may not call it (someone else's bucket),
    ``HeadBucket``'s ``BucketRegion`` or its ``x-amz-bucket-region`` header,
    which S3 returns even with a 403. Raises ClientError when neither answers."""
    try:
        location = aws.call(s3, "get_bucket_location", Bucket=bucket).get("LocationConstraint")
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    except ClientError as exc:
        if aws.error_code(exc) not in ("AccessDenied", "403"):
            raise
    try:
        return aws.call(s3, "head_bucket", Bucket=bucket)["BucketRegion"]
    except ClientError as exc:
        region = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
        if region:
            return region
        raise


def _identity(clients: aws.Clients) -> tuple[list[Any], dict[str, Any]]:
    try:
        who = aws.call(clients("sts"), "get_caller_identity")
    except (ClientError, BotoCoreError) as exc:
        return [("caller", f"unknown: {exc}", "fail", "give boto3 credentials: aws configure, AWS_PROFILE, or "
                 "aws sso login (docs/redshift.md, 'Credentials')")], {}
    return [("caller", f"account {who['Account']}, {who['Arn']}", "pass", "")], {
        "account": who["Account"], "caller_arn": who["Arn"], "caller_id": who.get("UserId", "")}


def _region(settings: Settings) -> tuple[Any, ...]:
    known = boto3.session.Session().get_available_regions("redshift")
    if settings.region in known:
        return ("region", f"{settings.region} ([general] region)", "pass", "")
    return ("region", f"{settings.region} ([general] region) is not a region where Redshift runs", "fail",
            "set [general] region to one of: " + ", ".join(known))


def principal(caller_arn: str) -> str | None:
    """The IAM user or role whose policies apply to ``caller_arn``: an
    assumed-role session ``arn:aws:sts::1:assumed-role/R/s`` is role ``R``
    (``arn:aws:iam::1:role/R``, its path added by :func:`role_with_path`). None
    for the root user and federated principals, which cannot be simulated."""
    parts = caller_arn.split(":", 5)  # arn:partition:service:region:account:resource
    if len(parts) < 6:
        return None
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource.startswith(("user/", "role/")):
        return caller_arn
    if service == "sts" and resource.startswith("assumed-role/"):
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return None


# Keys of a planned call's context the simulator is not given: the time of a request not yet sent.
UNSIMULATED = ("aws:currenttime", "aws:epochtime")
BOOLEAN = ("aws:securetransport",)


def context_entries(context: dict[str, Any]) -> list[dict[str, Any]]:
    """``context`` as SimulatePrincipalPolicy's ``ContextEntries`` (a list value is a ``stringList``)."""
    out = []
    for key, value in sorted(context.items()):
        if key.lower() in UNSIMULATED:
            continue
        many = isinstance(value, list)
        kind = "boolean" if key.lower() in BOOLEAN else "stringList" if many else "string"
        out.append({"ContextKeyName": key, "ContextKeyValues": [str(v) for v in value] if many else [str(value)],
                    "ContextKeyType": kind})
    return out


def simulations(settings: Settings, who: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """The ``SimulatePrincipalPolicy`` requests that check every call of the run for ``source``: one per
    resource and context, naming the actions that share them. What each call touches, and the context it
    carries there, is :func:`sparkify_nb.iam.plan.authorisations` (the rehearsal gate's table,
    :mod:`sparkify_nb.iam.touches`, on the run's planned requests), not the policy's own conditions."""
    grouped: dict[tuple[str, str], list[str]] = {}
    entries: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for auth in plan.authorisations(settings, who["account"], who["caller_arn"], who.get("caller_id", ""), source):
        for resource, context in auth.per_resource.items():
            listed = context_entries(context)
            key = (resource, repr(listed))
            entries[key] = listed
            actions = grouped.setdefault(key, [])
            if auth.action not in actions:
                actions.append(auth.action)
    return [{"PolicySourceArn": source, "ActionNames": actions, "ContextEntries": entries[key],
             **({} if key[0] == "*" else {"ResourceArns": [key[0]]})} for key, actions in grouped.items()]


SSO_PATH = "aws-reserved/sso.amazonaws.com/"


def _exists(iam: Any, arn: str) -> bool:
    """True when IAM knows the role ``arn`` (a one-action simulation answers,
    rather than ``NoSuchEntity``)."""
    try:
        aws.call(iam, "simulate_principal_policy", PolicySourceArn=arn, ActionNames=["sts:GetCallerIdentity"])
        return True
    except ClientError as exc:
        if aws.error_code(exc) == "NoSuchEntity":
            return False
        raise


def role_with_path(iam: Any, role_arn: str) -> tuple[str, str]:
    """The real ARN of a role that an assumed-role session names without its
    path, and how it was found. ``GetRole`` answers with the path
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html).
    Where the caller may not call it, an IAM Identity Center role
    (``AWSReservedSSO_...``) is looked for where AWS documents it:
    ``role/aws-reserved/sso.amazonaws.com/<aws-region>/<name>``, without the
    region when the identity source is in us-east-1
    (https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
    Raises ClientError when neither works."""
    name = role_arn.rsplit("/", 1)[-1]
    try:
        return aws.call(iam, "get_role", RoleName=name)["Role"]["Arn"], "iam:GetRole"
    except ClientError as exc:
        if aws.error_code(exc) not in ("AccessDenied", "AccessDeniedException") or \
                not name.startswith("AWSReservedSSO_"):
            raise
        denied = exc
    head = role_arn.rsplit("role/", 1)[0] + "role/" + SSO_PATH
    for region in [""] + [f"{r}/" for r in boto3.session.Session().get_available_regions("sso")]:
        if _exists(iam, f"{head}{region}{name}"):
            return f"{head}{region}{name}", "the documented IAM Identity Center path"
    raise denied


def _simulate(settings: Settings, clients: aws.Clients, who: dict[str, Any]) -> tuple[Any, ...]:
    check = "permissions"
    if aws.emulator_lacks(settings, "iam", "simulate_principal_policy"):
        return (check, "not checked: the local emulator has no SimulatePrincipalPolicy", "n/a", "")
    source = principal(who["caller_arn"])
    if source is None:
        return (check, f"not checked: {who['caller_arn']} is not an IAM user or role, which IAM cannot simulate; "
                       "going on", "n/a", "")
    if ":role/" in source:  # a session's ARN drops the role's path (SSO roles live under /aws-reserved/...)
        try:
            source, _ = role_with_path(clients("iam"), source)
        except ClientError as exc:
            return (check, f"not checked: the path of role {source.rsplit('/', 1)[-1]} could not be read "
                           f"({aws.error_code(exc)} on iam:GetRole), so IAM cannot simulate it; allow iam:GetRole on "
                           "your own role to have it checked; going on", "n/a", "")
    denied: list[str] = []
    try:
        for request in simulations(settings, who, source):
            pages = clients("iam").get_paginator("simulate_principal_policy").paginate(**request)
            denied += [r["EvalActionName"] + ("" if r.get("EvalResourceName", "*") == "*" else f" on {r['EvalResourceName']}")
                       for page in pages for r in page["EvaluationResults"]
                       if r["EvalDecision"] != "allowed" and not any(
                           s.get("EvalResourceDecision") == "allowed" for s in r.get("ResourceSpecificResults", []))]
    except ClientError as exc:
        if aws.error_code(exc) in ("AccessDenied", "AccessDeniedException"):
            return (check, f"not checked: {source} may not simulate its policies ({aws.error_code(exc)}); "
                           "going on", "n/a", "")
        if aws.error_code(exc) == "NoSuchEntity":
            return (check, f"not checked: IAM knows no {source} to simulate (NoSuchEntity); going on", "n/a", "")
        raise
    if denied:
        return (check, f"{source} may not: {', '.join(sorted(set(denied)))}", "fail",
                "attach the policy that `sparkify-nb iam-policy --account ACCOUNT --principal ARN` prints "
                "(docs/redshift.md, 'The operator policy')")
    count = len(access.actions("redshift", settings.get("cluster", "kind"), settings.access))
    return (check, f"{source} may make every call of this run ({count} actions)", "pass", "")


def _boundary(settings: Settings, clients: aws.Clients, who: dict[str, Any]) -> tuple[Any, ...]:
    """The administrator's permissions boundary exists with the document the stack needs (:mod:`.boundary`)."""
    check = "permissions boundary"
    if settings.on_emulator:
        return (check, "made in 01 below by the local stack, playing the account's administrator", "n/a", "")
    partition = who["caller_arn"].split(":")[1]
    try:
        found = boundary.problem(clients("iam"), settings, who["account"], partition)
    except ClientError as exc:
        return (check, f"not checked: {aws.error_code(exc)} on iam:GetPolicy; 01 checks it again before any role",
                "n/a", "")
    if found:
        return (check, found, "fail", boundary.what_to_do(settings, who["account"], partition,
                                                           missing="does not exist" in found))
    return (check, f"{boundary_policy_name(settings)}: exactly the document this stack needs", "pass", "")


def _source(settings: Settings, clients: aws.Clients, name: str) -> tuple[tuple[Any, ...], str | None]:
    uri, check = settings.source_uri(name), f"source {name}"
    if not uri.startswith("s3://"):
        return (check, f"{uri}: a local folder", "n/a", ""), None
    bucket, key = parse_s3_uri(uri)
    if settings.is_local and bucket == local_bucket(settings.stack_name) and not settings.get("s3", name):
        return (check, f"{uri}: sample data, written by 01 below", "n/a", ""), None
    if settings.rehearsal:
        return (check, f"{uri}: sample data, written there on the emulator by 01 below (a rehearsal)", "n/a", ""), None
    s3 = clients("s3")
    try:
        region = bucket_region(s3, bucket)
        listed = aws.call(s3, "list_objects_v2", Bucket=bucket, Prefix=key, MaxKeys=1)
    except ClientError as exc:
        return (check, f"{uri}: cannot be read ({aws.error_code(exc)})", "fail", OWN_DATA), None
    if not listed.get("KeyCount"):
        return (check, f"{uri}: no object there (region {region})", "fail", f"check [s3] {name}, or {OWN_DATA}"), region
    if region != settings.region and settings.access == "data_api":
        return (check, f"{uri}: in {region}, the warehouse in {settings.region}; a private warehouse with enhanced "
                       "VPC routing reaches S3 in its own region only", "fail",
                f"set [general] region = {region}, or {OWN_DATA} (a bucket in {settings.region})"), region
    note = "" if region == settings.region else f"; COPY will name REGION '{region}' (cross-region transfer is billed)"
    return (check, f"{uri}: region {region}, listable{note}", "pass", ""), region


def run(settings: Settings, clients: aws.Clients | None = None) -> Preflight:
    """Every preflight check (module docstring), read-only. Never raises for a
    failed check (see :meth:`Preflight.require`)."""
    clients = clients or aws.Clients(settings)
    rows, record = _identity(clients)
    rows.append(_region(settings))
    if record:
        rows.append(_simulate(settings, clients, record))
        rows.append(_boundary(settings, clients, record))
    regions = {}
    for name in SOURCES:
        row, region = _source(settings, clients, name)
        rows.append(row)
        if region:
            regions[name] = region
    record["source_regions"] = regions
    if regions and len(set(regions.values())) == 1:
        record["source_region"] = next(iter(regions.values()))
    return Preflight(pd.DataFrame(rows, columns=COLUMNS), record)
