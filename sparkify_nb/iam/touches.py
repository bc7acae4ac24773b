"""Which resources a request touches and what IAM authorises for it (issue 25,
items 1, 4 and 5): :func:`authorisations`, read by the rehearsal's gates
(:mod:`sparkify_nb.local.iam.gate` for a request to the emulator,
:mod:`sparkify_nb.local.rehearsal.authorise` for the Data API and Serverless)
and by 01's preflight for the requests a run will send (:mod:`.plan`). The
Redshift, Serverless and Data API rows are :mod:`.touches_redshift`.

Which ARNs a request touches is ours: :data:`TOUCHES`, a small table per
operation the suite calls (the new subnet and the VPC it goes in; the route
table an endpoint is added to; ...), each row's resource types as the Service
Authorization Reference names them for the action (:mod:`.sar`: "Resource
types" column; a create is authorised on the new resource, whose id is not yet
known, as ``<type>/*``). An operation not in the table is authorised on ``*``
when its SAR entry has no required resource type, else it is not gated and
:func:`authorisations` says so (the permissions report lists it).

The request-wide context (:func:`global_context`) and each operation's own keys:

- ``aws:RequestedRegion`` (the Region the request was signed for),
  ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:userid``,
  ``aws:username``, ``aws:PrincipalType``, ``aws:SecureTransport`` (true: on AWS
  every call of the suite goes over HTTPS);
- ``iam:PassedToService`` for ``iam:PassRole``, ``iam:PermissionsBoundary`` on
  CreateRole / PutRolePermissionsBoundary (the boundary asked for) and
  PutRolePolicy (the role's boundary), ``iam:AWSServiceName``,
  ``ec2:CreateAction`` on the ``ec2:CreateTags`` of a create, ``s3:prefix`` on
  ListBucket, ``redshift:DbUser`` / ``redshift:DbName`` on GetClusterCredentials.

The authorisations AWS makes beyond the call itself (item 5):

- ``iam:PassRole`` on each role handed to a service: CreateCluster's and
  ModifyClusterIamRoles' ``IamRoles``, CreateScheduledAction's ``IamRole``
  ("To pass a role ... a user must have permissions to pass the role",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html);
- ``ec2:CreateTags`` on each new resource a create tags through
  ``TagSpecifications``, with ``ec2:CreateAction`` ("To tag on create,
  ... must have permissions to use the action that creates the resource, such
  as ec2:CreateVpc. ... must also have permissions to use the ec2:CreateTags
  action", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html);
- the Secrets Manager actions the SAR lists as dependent actions of
  CreateCluster and CreateNamespace when the request asks Redshift to manage
  the admin password (``ManageMasterPassword`` / ``manageAdminPassword``), on
  the secret Redshift makes (:func:`.touches_redshift.admin_secret`; GetRandomPassword, which
  takes no resource, on ``*``), and those of DeleteNamespace on the secret of a
  namespace that has one ("Amazon Redshift generates the password and stores it
  in Secrets Manager", https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-secrets-manager-integration.html;
  the dependent actions: list_amazonredshift.html, list_amazonredshiftserverless.html,
  in :mod:`.sar`). The SAR's KMS dependents concern a customer managed key the
  request names (``MasterPasswordSecretKmsKeyId``, ``KmsKeyId``), which the
  suite never does: not asked (unconfirmed);
- ``iam:CreateServiceLinkedRole`` for Redshift's role when an account makes its
  first cluster and the role does not exist ("Amazon Redshift ... creates the
  service-linked role for you ... you must have iam:CreateServiceLinkedRole",
  https://docs.aws.amazon.com/redshift/latest/mgmt/using-service-linked-roles.html).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from . import sar
from .touches_redshift import _data_api, _redshift, _serverless
from .calls import (Authorisation, Call, Principal, State, action_of, ec2_tag_specifications, listed, query_tags,
                    tag_context)


# --- what a request touches -----------------------------------------------------------------------

EC2_PREFIXES = {"vpc-": "vpc", "subnet-": "subnet", "sg-": "security-group", "igw-": "internet-gateway",
                "rtb-": "route-table", "vpce-": "vpc-endpoint"}


class Touch:
    """Builds a request's :class:`Authorisation` list (:func:`authorisations`)."""

    def __init__(self, call: Call, who: Principal, lookup: State):
        self.call, self.who, self.lookup, self.p = call, who, lookup, call.params
        self.out: list[Authorisation] = []

    # ARNs
    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.call.region if regional else ''}:{self.who.account}:{resource}"

    def ec2(self, kind: str, ident: str = "*") -> str:
        return self.arn("ec2", f"{kind}/{ident}")

    def ec2_id(self, ident: str) -> str:
        kind = next((t for p, t in EC2_PREFIXES.items() if ident.startswith(p)), "")
        return self.ec2(kind, ident) if kind else ident

    def role(self, name_or_arn: str) -> str:
        return name_or_arn if name_or_arn.startswith("arn:") else self.arn("iam", f"role/{name_or_arn}", False)

    # authorisations
    def add(self, action: str, resources: list[str], context: dict[str, Any] | None = None,
            per_resource: dict[str, dict[str, Any]] | None = None) -> None:
        self.out.append(Authorisation(action, resources, context or {}, per_resource or {}))

    def ec2_existing(self, *ids: str) -> dict[str, dict[str, Any]]:
        out = {}
        for ident in ids:
            tags = self.lookup.ec2_tags(ident)
            out[self.ec2_id(ident)] = {**{f"aws:ResourceTag/{k}": v for k, v in tags.items()},
                                      **{f"ec2:ResourceTag/{k}": v for k, v in tags.items()}}
        return out

    def ec2_create(self, action: str, kind: str, *existing: str) -> None:
        """A create: the new resource under the request's tags of its type; each existing one under its tags;
        the tags given at creation authorised as ``ec2:CreateTags`` on the new resource."""
        tags = ec2_tag_specifications(self.p).get(kind, {})
        new = self.ec2(kind)
        per = {new: tag_context(tags), **self.ec2_existing(*[e for e in existing if e])}
        self.add(action, [new, *[self.ec2_id(e) for e in existing if e]], {}, per)
        if tags:
            self.add("ec2:CreateTags", [new], {**tag_context(tags), "ec2:CreateAction": action.split(":")[1]})

    def ec2_on(self, action: str, *ids: str) -> None:
        ids = tuple(i for i in ids if i)
        self.add(action, [self.ec2_id(i) for i in ids], {}, self.ec2_existing(*ids))

    def pass_roles(self, roles: list[str], service: str) -> None:
        for role in roles:
            if role:
                self.add("iam:PassRole", [self.role(role)], {"iam:PassedToService": service})

    def role_with_tags(self, action: str, name: str, context: dict[str, Any] | None = None) -> None:
        tags = self.lookup.role_tags(name)
        arn = self.role(name)
        self.add(action, [arn], context, {arn: {f"aws:ResourceTag/{k}": v for k, v in tags.items()}})

    def redshift(self, action: str, *resources: str, context: dict[str, Any] | None = None) -> None:
        arns = [self.arn("redshift", r) for r in resources]
        per = {a: {f"aws:ResourceTag/{k}": v for k, v in self.lookup.redshift_tags(a).items()} for a in arns}
        self.add(action, arns, context, per)

    def log_group(self, action: str, name: str, context: dict[str, Any] | None = None) -> None:
        arn = name if name.startswith("arn:") else self.arn("logs", f"log-group:{name}")
        arn = arn[:-2] if arn.endswith(":*") else arn
        group = arn.split(":log-group:", 1)[-1]
        tags = self.lookup.log_group_tags(group)
        self.add(action, [arn], context, {arn: {f"aws:ResourceTag/{k}": v for k, v in tags.items()}})

    def bucket(self, action: str, bucket: str, key: str | None = None, context: dict[str, Any] | None = None) -> None:
        arn = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        self.add(action, [arn], context)


def _ec2(t: Touch, op: str) -> bool:
    p, a = t.p, f"ec2:{op}"
    creates = {"CreateVpc": ("vpc", []), "CreateSubnet": ("subnet", [p.get("VpcId", "")]),
               "CreateSecurityGroup": ("security-group", [p.get("VpcId", "")]),
               "CreateInternetGateway": ("internet-gateway", []),
               "CreateRouteTable": ("route-table", [p.get("VpcId", "")]),
               "CreateVpcEndpoint": ("vpc-endpoint", [p.get("VpcId", ""), *listed(p, "RouteTableId")])}
    if op in creates:
        kind, existing = creates[op]
        t.ec2_create(a, kind, *existing)
    elif op in ("AttachInternetGateway", "DetachInternetGateway"):
        t.ec2_on(a, p.get("InternetGatewayId", ""), p.get("VpcId", ""))
    elif op in ("DeleteInternetGateway",):
        t.ec2_on(a, p.get("InternetGatewayId", ""))
    elif op in ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup"):
        t.ec2_on(a, p.get("GroupId", ""))
    elif op in ("CreateRoute", "DeleteRouteTable"):
        t.ec2_on(a, p.get("RouteTableId", ""))
    elif op == "AssociateRouteTable":
        t.ec2_on(a, p.get("RouteTableId", ""), p.get("SubnetId", ""))
    elif op == "DisassociateRouteTable":
        t.ec2_on(a, t.lookup.route_table_of_association(p.get("AssociationId", "")))
    elif op == "ModifyVpcEndpoint":
        t.ec2_on(a, p.get("VpcEndpointId", ""), *listed(p, "AddRouteTableId"), *listed(p, "RemoveRouteTableId"))
    elif op == "DeleteVpcEndpoints":
        t.ec2_on(a, *listed(p, "VpcEndpointId"))
    elif op in ("DeleteSubnet",):
        t.ec2_on(a, p.get("SubnetId", ""))
    elif op in ("DeleteVpc",):
        t.ec2_on(a, p.get("VpcId", ""))
    elif op == "CreateTags":
        tags = query_tags(p, "Tag")
        ids = listed(p, "ResourceId")
        t.add(a, [t.ec2_id(i) for i in ids], tag_context(tags), t.ec2_existing(*ids))
    else:
        return False
    return True


def _iam(t: Touch, op: str) -> bool:
    p, a = t.p, f"iam:{op}"
    if op == "CreateRole":
        context = tag_context(query_tags(p, "Tags"))
        if p.get("PermissionsBoundary"):
            context["iam:PermissionsBoundary"] = p["PermissionsBoundary"]
        t.add(a, [t.role(p["RoleName"])], context)
    elif op == "PutRolePermissionsBoundary":
        t.role_with_tags(a, p["RoleName"], {"iam:PermissionsBoundary": p.get("PermissionsBoundary", "")})
    elif op in ("PutRolePolicy", "AttachRolePolicy", "DeleteRolePolicy", "DetachRolePolicy"):
        boundary = t.lookup.role_boundary(p["RoleName"])
        t.role_with_tags(a, p["RoleName"], {"iam:PermissionsBoundary": boundary} if boundary else {})
    elif op == "TagRole":
        t.role_with_tags(a, p["RoleName"], tag_context(query_tags(p, "Tags")))
    elif op in ("GetRole", "ListRoleTags", "GetRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies",
                "DeleteRole", "UntagRole"):
        t.role_with_tags(a, p["RoleName"])
    elif op in ("GetPolicy", "GetPolicyVersion", "ListPolicyVersions"):
        t.add(a, [p["PolicyArn"]])
    elif op == "SimulatePrincipalPolicy":
        t.add(a, [p["PolicySourceArn"]])
    elif op == "CreateServiceLinkedRole":
        service = p.get("AWSServiceName", "")
        name = {"redshift.amazonaws.com": "AWSServiceRoleForRedshift"}.get(service, "*")
        t.add(a, [t.arn("iam", f"role/aws-service-role/{service}/{name}", False)], {"iam:AWSServiceName": service})
    else:
        return False
    return True


def _sts(t: Touch, op: str) -> bool:
    if op == "GetCallerIdentity":
        # "No permissions are required to perform this operation. If an administrator attaches a policy to your
        # identity that explicitly denies access to the sts:GetCallerIdentity action, you can still perform this
        # operation" (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
        return True
    if op == "AssumeRole":
        arn = t.p.get("RoleArn", "")
        tags = t.lookup.role_tags(arn.rsplit("/", 1)[-1]) if arn.split(":")[4:5] == [t.who.account] else {}
        t.add("sts:AssumeRole", [arn], {}, {arn: {f"iam:ResourceTag/{k}": v for k, v in tags.items()}})
        return True
    return False


def _logs(t: Touch, op: str) -> bool:
    p, a = t.p, f"logs:{op}"
    if op == "CreateLogGroup":
        t.log_group(a, p["logGroupName"], tag_context(p.get("tags") or {}))
    elif op in ("PutRetentionPolicy", "DeleteLogGroup", "DeleteRetentionPolicy"):
        t.log_group(a, p["logGroupName"])
    elif op == "TagResource":
        t.log_group(a, p["resourceArn"], tag_context(p.get("tags") or {}))
    elif op == "UntagResource":
        t.log_group(a, p["resourceArn"], {"aws:TagKeys": list(p.get("tagKeys") or [])})
    elif op == "ListTagsForResource":
        t.log_group(a, p["resourceArn"])
    else:
        return False
    return True


def _s3(t: Touch, op: str) -> bool:
    p = t.p
    bucket, key, query = p["Bucket"], p["Key"], p["query"]
    action = action_of("s3", op)
    if op == "ListBuckets":
        t.add(action, ["*"])
    elif op in ("ListObjectsV2", "ListObjects", "HeadBucket"):
        prefix = (query.get("prefix") or [""])[0]
        t.bucket(action, bucket, context={"s3:prefix": prefix} if "prefix" in query else {})
    elif op == "DeleteObjects":
        for k in p.get("Keys", []):
            t.bucket("s3:DeleteObject", bucket, k)
    elif key:
        t.bucket(action, bucket, key)
    else:
        t.bucket(action, bucket)
    return True


def _scheduler(t: Touch, op: str) -> bool:
    """EventBridge Scheduler: a schedule by group and name; ``iam:PassRole`` for its target's role
    ("the execution role ... you must have iam:PassRole", list_amazoneventbridgescheduler.html lists it as a
    dependent action of CreateSchedule and UpdateSchedule)."""
    if op not in ("CreateSchedule", "UpdateSchedule", "GetSchedule", "DeleteSchedule"):
        return False
    p = t.p
    t.add(f"scheduler:{op}", [t.arn("scheduler", f"schedule/{p['GroupName']}/{p['Name']}")])
    if op in ("CreateSchedule", "UpdateSchedule"):
        t.pass_roles([(p.get("Target") or {}).get("RoleArn", "")], "scheduler.amazonaws.com")
    return True


TOUCHES: dict[str, Callable[[Touch, str], bool]] = {
    "ec2": _ec2, "redshift": _redshift, "iam": _iam, "sts": _sts, "logs": _logs, "s3": _s3, "scheduler": _scheduler,
    "redshift-serverless": _serverless, "redshift-data": _data_api}


def global_context(call: Call, who: Principal) -> dict[str, Any]:
    now = time.time()
    # a role's session: aws:PrincipalArn is the role's ARN, and there is no aws:username ("AWS global condition
    # context keys", reference_policies_condition-keys.html: aws:PrincipalArn, aws:username)
    return {"aws:PrincipalArn": who.role or who.arn, "aws:PrincipalAccount": who.account, "aws:PrincipalType": who.kind,
            "aws:userid": who.userid, **({"aws:username": who.name} if who.kind == "User" else {}),
            "aws:RequestedRegion": call.region,
            "aws:SecureTransport": "true", "aws:EpochTime": str(int(now)),
            "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}


def authorisations(call: Call, who: Principal, lookup: State | None = None) -> list[Authorisation] | None:
    """What IAM authorises for ``call`` signed by ``who`` (each with the request-wide context), reading
    the account's state from ``lookup`` (default: nothing known); None when the table does not know
    what the operation touches (module docstring)."""
    lookup = lookup or State()
    touch = Touch(call, who, lookup)
    handler = TOUCHES.get(call.service)
    done = False
    try:
        done = bool(handler and handler(touch, call.operation))
    except KeyError:
        done = False  # a parameter the operation requires is missing: the service refuses it itself
    if not done:
        action = action_of(call.service, call.operation)
        try:
            required = [r for r in sar.rows(action) if r.required]
        except KeyError:
            return None
        if required:
            return None
        touch.add(action, ["*"])
    base = global_context(call, who)
    for one in touch.out:
        one.context = {**base, **one.context}
    return touch.out
