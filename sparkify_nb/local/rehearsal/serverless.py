"""Redshift Serverless's control plane on the local stack: the operations the
suite calls, served by the rehearsal's process beside the Data API (the AWS
JSON 1.1 protocol of botocore's ``redshift-serverless`` model, every request
validated against it by :mod:`.server`). moto has no Serverless; this is a
small service of ours rather than a moto backend, because moto documents no
way to add a service from outside its source tree, and because the Data API
and the wire door must read the workgroups it keeps (one process, one state).

State lives in this process's memory, as the emulator's does: ``local down``
forgets it. Sources, abbreviated: [API] the Redshift Serverless API reference,
https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/ (pages
API_<Operation>.html); [CAP] "Compute capacity for Amazon Redshift
Serverless", https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html;
[LIMIT] "Billing for compute capacity: usage limits",
https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing-on-demand.html.

The rules, each pinned by tests/test_rehearsal_serverless.py or its sibling
tests/test_rehearsal_serverless_rules.py:

1. Statuses over time: a new workgroup is ``CREATING``, then ``AVAILABLE``; an
   updated one ``MODIFYING``, then ``AVAILABLE``; a deleted namespace or
   workgroup ``DELETING``, then gone (ResourceNotFoundException) [API
   Workgroup, Namespace: ``status``]. Each step lasts :data:`STEP_S` here (AWS
   takes minutes), and until a read (Get/List) has shown it once, so a caller
   that polls sees it. A workgroup that is not ``AVAILABLE`` takes no update and
   no delete (ConflictException; AWS's wording unconfirmed).
2. One setting per UpdateWorkgroup: "You can't update multiple parameters in
   one request" [API UpdateWorkgroup]; ValidationException. UpdateNamespace
   likewise, "unless required": ``iamRoles`` and ``defaultIamRoleArn``, and
   ``adminUsername`` and ``adminUserPassword``, each "must be updated together"
   with the other [API UpdateNamespace], so each pair is one setting (the
   password itself is not kept).
3. Capacity: base capacity 4, or 8 to 512 in steps of 8, or 512 to 1024 in
   steps of 32 [CAP]; the maximum likewise, and not below the base (the
   maximum "serves as the upper limit of RPUs" [LIMIT]; a maximum below the
   base is refused here, unconfirmed). ValidationException. The port likewise:
   "Valid port ranges are 5431-5455 and 8191-8215. The default is 5439" [API
   CreateWorkgroup, UpdateWorkgroup ``port``].
4. A namespace has at most one workgroup (unconfirmed: AWS's console makes
   them in pairs; ConflictException) and cannot be deleted while one uses it
   (ConflictException; AWS's wording unconfirmed).
5. Usage limits on a workgroup: ``serverless-compute`` in whole RPU-hours per
   ``daily`` / ``weekly`` / ``monthly`` period (default ``monthly``), breach
   action ``log`` / ``emit-metric`` / ``deactivate`` (default ``log``) [API
   CreateUsageLimit; LIMIT: "daily, weekly, or monthly ... write a log entry
   ..., receive an alert, or turn off user queries"]; the amount at least 1;
   one limit per usage type and period (unconfirmed; ConflictException).
6. Tags: ``tags`` on CreateNamespace / CreateWorkgroup are the resource's, as
   TagResource's are [API CreateNamespace ``tags``]; ListTagsForResource on an
   ARN that does not exist is ResourceNotFoundException.
7. GetCredentials: the workgroup must exist and be ``AVAILABLE``; the database
   user is the caller's IAM identity, ``IAM:<user>`` or ``IAMR:<role>`` ("IAM
   role sample_role is mapped to IAMR:sample_role",
   https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html);
   ``durationSeconds`` 900-3600, default 900 [API GetCredentials]. What it
   issues goes in the ledger the wire door checks (:mod:`.credentials`).
8. ``iamRoles`` read back as ``IamRole(applyStatus=in-sync, iamRoleArn=...)``
   text, as AWS answers GetNamespace (quoted in
   :func:`sparkify_nb.infra.serverless.namespace_roles`). Data is always
   encrypted: a namespace made without ``kmsKeyId`` reads back
   ``AWS_OWNED_KMS_KEY`` (as AWS answers; the API reference does not say:
   unconfirmed). A managed admin password (``manageAdminPassword``) takes no
   ``adminUserPassword``, and ``adminPasswordSecretKmsKeyId`` only with it
   [API CreateNamespace]; ValidationException.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import validation
from .serverless_limits import LimitsAndTags, conflict, not_found

STEP_S = 0.5  # how long a status in transit lasts here


def capacity_ok(rpu: int) -> bool:
    """Rule 3 [CAP]."""
    return rpu == 4 or (8 <= rpu <= 512 and rpu % 8 == 0) or (512 < rpu <= 1024 and rpu % 32 == 0)


def port_ok(port: int) -> bool:
    """Rule 3 [API CreateWorkgroup ``port``]."""
    return 5431 <= port <= 5455 or 8191 <= port <= 8215


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def mapped_user(caller_arn: str) -> str:
    """Rule 7: ``arn:aws:iam::1:user/ana`` or ``arn:aws:sts::1:user/ana`` -> ``IAM:ana``,
    ``arn:aws:sts::1:assumed-role/r/session`` or ``arn:aws:iam::1:role/r`` -> ``IAMR:r``."""
    resource = caller_arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind in ("assumed-role", "role"):
        return "IAMR:" + rest.split("/")[0 if kind == "assumed-role" else -1]
    return "IAM:" + rest.rsplit("/", 1)[-1]


class Serverless(LimitsAndTags):
    """The namespaces, workgroups, usage limits, snapshots and tags of every Region and account."""

    def __init__(self, control: Any, state: Path | None = None, account: str = ""):
        self.control, self.state, self.account = control, state, account
        self.namespaces: dict[str, dict[str, Any]] = {}  # by ARN
        self.workgroups: dict[str, dict[str, Any]] = {}
        self.limits: dict[str, dict[str, Any]] = {}
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self._lock = threading.RLock()

    # --- statuses over time (rule 1) ----------------------------------------------------

    def _settle(self) -> None:
        now = time.monotonic()
        for table in (self.namespaces, self.workgroups):
            for arn, item in list(table.items()):
                until = item.get("_until", 0)
                if until and now >= until and item.get("_seen"):
                    if item["status"] == "DELETING":
                        del table[arn]
                        self.tags.pop(arn, None)
                    else:
                        item["status"], item["_until"] = "AVAILABLE", 0

    def _in_transit(self, item: dict[str, Any], status: str) -> None:
        item["status"], item["_until"], item["_seen"] = status, time.monotonic() + STEP_S, False

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if not k.startswith("_")}

    @classmethod
    def _read(cls, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` as a Get or List shows it (which counts as seen: rule 1)."""
        item["_seen"] = True
        return cls._public(item)

    def _arn(self, region: str, account: str, kind: str) -> tuple[str, str]:
        ident = str(uuid.uuid4())
        return f"arn:aws:redshift-serverless:{region}:{account}:{kind}/{ident}", ident

    def _by_name(self, table: dict[str, dict[str, Any]], key: str, name: str, region: str, what: str) -> dict[str, Any]:
        self._settle()
        for item in table.values():
            if item[key] == name and item["_region"] == region:
                return item
        raise not_found(f"{what} {name} not found")

    def workgroup(self, name: str, region: str) -> dict[str, Any]:
        with self._lock:
            return self._by_name(self.workgroups, "workgroupName", name, region, "Workgroup")

    def namespace(self, name: str, region: str) -> dict[str, Any]:
        with self._lock:
            return self._by_name(self.namespaces, "namespaceName", name, region, "Namespace")

    # --- namespaces -------------------------------------------------------------------

    def create_namespace(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        if req.get("manageAdminPassword") and "adminUserPassword" in req:  # rule 8
            raise validation("You can't use adminUserPassword if manageAdminPassword is true")
        if "adminPasswordSecretKmsKeyId" in req and not req.get("manageAdminPassword"):
            raise validation("Use adminPasswordSecretKmsKeyId only if manageAdminPassword is true")
        with self._lock:
            self._settle()
            name = req["namespaceName"]
            if any(n["namespaceName"] == name and n["_region"] == who.region for n in self.namespaces.values()):
                raise conflict(f"Namespace {name} already exists")
            arn, ident = self._arn(who.region, who.account, "namespace")
            roles = list(req.get("iamRoles") or [])
            ns = {"namespaceName": name, "namespaceArn": arn, "namespaceId": ident, "status": "AVAILABLE",
                  "adminUsername": req.get("adminUsername", "admin"), "dbName": req.get("dbName", "dev"),
                  "iamRoles": [_role_text(r) for r in roles], "logExports": list(req.get("logExports") or []),
                  "kmsKeyId": req.get("kmsKeyId") or "AWS_OWNED_KMS_KEY",
                  "creationDate": _now(), "_region": region_of(arn), "_roles": roles}
            if req.get("defaultIamRoleArn"):
                ns["defaultIamRoleArn"] = req["defaultIamRoleArn"]
            if req.get("manageAdminPassword"):  # named as the gate names it (sparkify_nb/iam/touches_redshift.py, admin_secret)
                ns["adminPasswordSecretArn"] = (f"arn:aws:secretsmanager:{who.region}:{who.account}:secret:"
                                                f"redshift!{name}-{ns['adminUsername']}-{secrets.token_hex(3)}")
            self.namespaces[arn] = ns
            self.tags[arn] = {t["key"]: t["value"] for t in req.get("tags") or []}
            return {"namespace": self._public(ns)}

    def get_namespace(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            return {"namespace": self._read(self.namespace(req["namespaceName"], who.region))}

    def list_namespaces(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            self._settle()
            return {"namespaces": [self._read(n) for n in self.namespaces.values() if n["_region"] == who.region]}

    def update_namespace(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        given = sorted(k for k in req if k != "namespaceName")
        pair = next((p for p in _NAMESPACE_PAIRS if set(p) & set(given)), None)
        if pair and not set(pair) <= set(given):  # rule 2
            raise validation(f"{pair[0]} and {pair[1]} must be updated together (this one gives {', '.join(given)})")
        if len(given) != (2 if pair else 1):
            raise validation("Unless required, you can't update multiple parameters in one request: give one setting "
                             f"per UpdateNamespace (this one gives {', '.join(given) or 'none'})")
        with self._lock:
            ns = self.namespace(req["namespaceName"], who.region)
            if "iamRoles" in req:
                ns["_roles"] = list(req["iamRoles"])
                ns["iamRoles"] = [_role_text(r) for r in req["iamRoles"]]
            for key in ("defaultIamRoleArn", "logExports", "adminUsername", "kmsKeyId"):
                if key in req:
                    ns[key] = req[key]
            return {"namespace": self._public(ns)}

    def delete_namespace(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            ns = self.namespace(req["namespaceName"], who.region)
            used = [w["workgroupName"] for w in self.workgroups.values() if w["namespaceName"] == ns["namespaceName"]
                    and w["_region"] == who.region]
            if used:  # rule 4
                raise conflict(f"Namespace {ns['namespaceName']} cannot be deleted while workgroup {used[0]} uses it")
            if ns["status"] == "DELETING":
                raise conflict(f"Namespace {ns['namespaceName']} is already being deleted")
            if req.get("finalSnapshotName"):
                self._snapshot(ns, req["finalSnapshotName"], who)
            self._in_transit(ns, "DELETING")
            return {"namespace": self._public(ns)}

    def _snapshot(self, ns: dict[str, Any], name: str, who: Any) -> None:
        arn = f"arn:aws:redshift-serverless:{who.region}:{who.account}:snapshot/{uuid.uuid4()}"
        self.snapshots[arn] = {"snapshotName": name, "snapshotArn": arn, "namespaceName": ns["namespaceName"],
                               "namespaceArn": ns["namespaceArn"], "status": "AVAILABLE",
                               "snapshotCreateTime": _now(), "ownerAccount": who.account, "_region": who.region}

    def list_snapshots(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            found = [s for s in self.snapshots.values() if s["_region"] == who.region
                     and req.get("namespaceName", s["namespaceName"]) == s["namespaceName"]
                     and req.get("namespaceArn", s["namespaceArn"]) == s["namespaceArn"]]
            return {"snapshots": [self._public(s) for s in found]}

    # --- workgroups -------------------------------------------------------------------

    def create_workgroup(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            self._settle()
            name = req["workgroupName"]
            if any(w["workgroupName"] == name and w["_region"] == who.region for w in self.workgroups.values()):
                raise conflict(f"Workgroup {name} already exists")
            ns = self.namespace(req["namespaceName"], who.region)
            if any(w["namespaceName"] == ns["namespaceName"] and w["_region"] == who.region
                   for w in self.workgroups.values()):  # rule 4
                raise conflict(f"Namespace {ns['namespaceName']} already has a workgroup")
            base = req.get("baseCapacity", 128)
            _check_capacity(base, req.get("maxCapacity"))
            arn, ident = self._arn(who.region, who.account, "workgroup")
            port = req.get("port", 5439)
            if not port_ok(port):
                raise validation(_PORTS.format(port))
            wg = {"workgroupName": name, "workgroupArn": arn, "workgroupId": ident, "namespaceName": ns["namespaceName"],
                  "baseCapacity": base, "enhancedVpcRouting": req.get("enhancedVpcRouting", False),
                  "publiclyAccessible": req.get("publiclyAccessible", False), "port": port,
                  "subnetIds": list(req.get("subnetIds") or []), "securityGroupIds": list(req.get("securityGroupIds") or []),
                  "configParameters": list(req.get("configParameters") or []), "creationDate": _now(),
                  "endpoint": {"address": f"{name}.{who.account}.{who.region}.redshift-serverless.amazonaws.com",
                               "port": port},
                  "_region": who.region}
            if "maxCapacity" in req:
                wg["maxCapacity"] = req["maxCapacity"]
            self._in_transit(wg, "CREATING")
            self.workgroups[arn] = wg
            self.tags[arn] = {t["key"]: t["value"] for t in req.get("tags") or []}
            return {"workgroup": self._public(wg)}

    def get_workgroup(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            return {"workgroup": self._read(self.workgroup(req["workgroupName"], who.region))}

    def list_workgroups(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            self._settle()
            return {"workgroups": [self._read(w) for w in self.workgroups.values() if w["_region"] == who.region]}

    def update_workgroup(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        changes = {k: v for k, v in req.items() if k != "workgroupName"}
        if len(changes) != 1:  # rule 2
            raise validation("You can't update multiple parameters in one request: give one setting per "
                             f"UpdateWorkgroup (this one gives {', '.join(sorted(changes)) or 'none'})")
        with self._lock:
            wg = self.workgroup(req["workgroupName"], who.region)
            if wg["status"] != "AVAILABLE":
                raise conflict(f"Workgroup {wg['workgroupName']} is {wg['status']}: it takes an update once AVAILABLE")
            (key, value), = changes.items()
            if key in ("baseCapacity", "maxCapacity"):
                _check_capacity(value if key == "baseCapacity" else wg["baseCapacity"],
                                value if key == "maxCapacity" else wg.get("maxCapacity"))
            if key == "port":
                if not port_ok(value):
                    raise validation(_PORTS.format(value))
                wg["endpoint"]["port"] = value
            wg[key] = value
            self._in_transit(wg, "MODIFYING")
            return {"workgroup": self._public(wg)}

    def delete_workgroup(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            wg = self.workgroup(req["workgroupName"], who.region)
            if wg["status"] != "AVAILABLE":
                raise conflict(f"Workgroup {wg['workgroupName']} is {wg['status']}: it can be deleted once AVAILABLE")
            for arn in [a for a, u in self.limits.items() if u["resourceArn"] == wg["workgroupArn"]]:
                del self.limits[arn]
            self._in_transit(wg, "DELETING")
            return {"workgroup": self._public(wg)}

    # --- credentials (rule 7) ---------------------------------------------------------

    def get_credentials(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        from . import credentials

        if not req.get("workgroupName"):
            raise validation("workgroupName is required (custom domain names are not rehearsed)")
        wg = self.workgroup(req["workgroupName"], who.region)
        if wg["status"] != "AVAILABLE":
            raise conflict(f"Workgroup {wg['workgroupName']} is {wg['status']}")
        seconds = req.get("durationSeconds", 900)
        if not 900 <= seconds <= 3600:
            raise validation("durationSeconds must be between 900 and 3600")
        user, password = mapped_user(who.arn), secrets.token_urlsafe(24)
        expires = _now() + dt.timedelta(seconds=seconds)
        credentials.record(credentials.ledger_path(self.state), target=wg["workgroupName"], region=who.region,
                           account=who.account, user=user, password=password, expires=expires)
        return {"dbUser": user, "dbPassword": password, "expiration": expires, "nextRefreshTime": expires}

    def as_cluster(self, name: str, region: str) -> dict[str, Any]:
        """The workgroup ``name`` and its namespace in the shape the rest of the rehearsal reads a cluster in
        (``ClusterIdentifier``, ``DBName``, ``MasterUsername``, ``IamRoles``, ...), once AVAILABLE."""
        with self._lock:
            wg = self.workgroup(name, region)
            if wg["status"] != "AVAILABLE":
                raise validation(f"Workgroup {name} is not available: its status is {wg['status']}")
            ns = self.namespace(wg["namespaceName"], region)
            return {"ClusterIdentifier": name, "DBName": ns["dbName"], "MasterUsername": ns["adminUsername"],
                    "ClusterCreateTime": wg["creationDate"].isoformat(), "ClusterStatus": "available",
                    "IamRoles": [{"IamRoleArn": r} for r in ns["_roles"]], "PubliclyAccessible": wg["publiclyAccessible"],
                    "Endpoint": {"Address": wg["endpoint"]["address"], "Port": wg["port"]}, "Serverless": True,
                    "_account": self.account}


_PORTS = "port {} is not one Redshift Serverless takes: 5431 to 5455 or 8191 to 8215"
# UpdateNamespace's settings that "must be updated together" [API UpdateNamespace]: each pair is one setting
_NAMESPACE_PAIRS = (("iamRoles", "defaultIamRoleArn"), ("adminUsername", "adminUserPassword"))


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def _role_text(arn: str) -> str:
    return f"IamRole(applyStatus=in-sync, iamRoleArn={arn})"


def _check_capacity(base: int, most: int | None) -> None:
    """Rule 3."""
    allowed = "4, a multiple of 8 from 8 to 512, or a multiple of 32 from 544 to 1024 RPUs"
    if not capacity_ok(base):
        raise validation(f"baseCapacity {base} is not a capacity Redshift Serverless takes: {allowed}")
    if most is not None:
        if not capacity_ok(most):
            raise validation(f"maxCapacity {most} is not a capacity Redshift Serverless takes: {allowed}")
        if most < base:
            raise validation(f"maxCapacity {most} is below baseCapacity {base}")
