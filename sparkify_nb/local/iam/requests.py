"""What one request to the AWS emulator asks IAM for, read off the request: the
operation (:func:`parse`), who signed it (:func:`signed`), and the emulator's
current state of what it names (:class:`Lookup`). The request's shapes
(:class:`Call`, :class:`Authorisation`, its tags as condition keys) are
:mod:`sparkify_nb.iam.calls`; which resources it touches and what is authorised
for it, :mod:`sparkify_nb.iam.touches` (issue 25, items 1, 4 and 5), which 01's
preflight shares; the gate (:mod:`.gate`) asks that module.

The request context (AWS global condition keys,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
a service's own keys from its SAR page):

- ``aws:RequestTag/<key>`` and ``aws:TagKeys`` from the request's tags:
  ``TagSpecifications`` per resource type on EC2 (only the new resource of that
  type carries them), ``Tags`` on Redshift and IAM, ``tags`` on CloudWatch Logs;
- ``aws:ResourceTag/<key>`` (and ``ec2:ResourceTag/<key>``) from the emulator's
  current tags of an existing resource, read in-process from moto's backends
  (:class:`Lookup`);
- the global keys of :func:`sparkify_nb.iam.touches.global_context` and each
  operation's own (:mod:`sparkify_nb.iam.touches`).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from ...iam.calls import (Authorisation, Call, Principal, State, ec2_tag_specifications, listed,  # noqa: F401
                         query_tags, tag_context)


_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def signed(authorization: str) -> tuple[str, str, str] | None:
    """(access key id, Region, service) of a SigV4 ``Authorization`` header, or None."""
    match = _SCOPE.search(authorization or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


# --- reading a request ------------------------------------------------------------------------------

QUERY_SERVICES = ("ec2", "iam", "sts", "redshift")


def s3_operation(method: str, key: str, query: dict[str, list[str]]) -> str:
    """The S3 API operation of a REST request (path-style: ``/<bucket>/<key>``)."""
    subs = [s for s in ("encryption", "publicAccessBlock", "lifecycle", "tagging", "location", "delete", "uploads",
                        "uploadId", "versioning", "policy", "acl") if s in query]
    sub = subs[0] if subs else ""
    if key:
        return {("PUT", ""): "UploadPart" if "partNumber" in query else "PutObject", ("GET", ""): "GetObject",
                ("HEAD", ""): "HeadObject", ("DELETE", ""): "DeleteObject", ("POST", "uploads"): "CreateMultipartUpload",
                ("PUT", "uploadId"): "UploadPart", ("POST", "uploadId"): "CompleteMultipartUpload",
                ("DELETE", "uploadId"): "AbortMultipartUpload", ("GET", "tagging"): "GetObjectTagging",
                ("PUT", "tagging"): "PutObjectTagging"}.get((method, sub), f"{method}Object?{sub}")
    table = {("PUT", ""): "CreateBucket", ("DELETE", ""): "DeleteBucket", ("HEAD", ""): "HeadBucket",
             ("GET", ""): "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects",
             ("GET", "location"): "GetBucketLocation", ("POST", "delete"): "DeleteObjects"}
    for verb, prefix in (("PUT", "Put"), ("GET", "Get"), ("DELETE", "Delete")):
        for name, op in (("encryption", "BucketEncryption"), ("publicAccessBlock", "PublicAccessBlock"),
                         ("lifecycle", "BucketLifecycleConfiguration"), ("tagging", "BucketTagging"),
                         ("versioning", "BucketVersioning"), ("policy", "BucketPolicy"), ("acl", "BucketAcl")):
            table[(verb, name)] = prefix + op
    return table.get((method, sub), f"{method}Bucket?{sub}")


def parse(method: str, path: str, query_string: str, headers: dict[str, str], body: bytes | None) -> Call | None:
    """The :class:`Call` of a signed request, or None when it is not signed (SigV4)."""
    scope = signed(headers.get("authorization", ""))
    if scope is None:
        return None
    key_id, region, service = scope
    query = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    if service == "s3":
        parts = urllib.parse.unquote(path).lstrip("/").split("/", 1)
        bucket, key = parts[0], parts[1] if len(parts) > 1 else ""
        operation = s3_operation(method, key, query) if bucket else "ListBuckets"
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "query": query}
        if operation == "DeleteObjects" and body:
            params["Keys"] = [urllib.parse.unquote(k) for k in re.findall(rb"<Key>(.*?)</Key>", body)
                              for k in [k.decode()]]
        return Call(service, region, operation, params, key_id)
    if service == "scheduler":  # REST-JSON: /schedules/<Name> (API_CreateSchedule.html and its neighbours)
        parts = urllib.parse.unquote(path).strip("/").split("/")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        if parts[0] == "schedules" and len(parts) == 2:
            operation = {"POST": "CreateSchedule", "PUT": "UpdateSchedule", "GET": "GetSchedule",
                         "DELETE": "DeleteSchedule"}.get(method, method)
            params = {**params, "Name": parts[1],
                      "GroupName": params.get("GroupName") or (query.get("groupName") or ["default"])[0]}
        else:
            operation = "ListSchedules" if parts == ["schedules"] else f"{method} /{'/'.join(parts)}"
        return Call(service, region, operation, params, key_id)
    target = headers.get("x-amz-target", "")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Call(service, region, target.rsplit(".", 1)[-1], params, key_id)
    form = {**query, **urllib.parse.parse_qs((body or b"").decode("utf-8", "replace"), keep_blank_values=True)}
    flat = {k: v[0] for k, v in form.items()}
    return Call(service, region, flat.pop("Action", ""), flat, key_id)


# --- the emulator's current state, in-process -------------------------------------------------------

class Lookup(State):
    """What the gate reads of moto's backends: tags of existing resources, a role's boundary, the
    ARN of a secret, the route table of an association. In the emulator's own process, no request."""

    def __init__(self, account: str, region: str):
        self.account, self.region = account, region

    def ec2(self) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.account][self.region]

    def ec2_tags(self, resource_id: str) -> dict[str, str]:
        try:
            return dict(self.ec2().tags.get(resource_id, {}))
        except Exception:
            return {}

    def route_table_of_association(self, association_id: str) -> str:
        try:
            for table in self.ec2().route_tables.values():
                if association_id in table._associations:  # moto's association id -> subnet id
                    return table.id
        except Exception:
            pass
        return ""

    def iam(self) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[self.account]["aws"]

    def role(self, name: str) -> Any:
        try:
            return self.iam().get_role(name)
        except Exception:
            return None

    def role_boundary(self, name: str) -> str | None:
        role = self.role(name)
        return getattr(role, "permissions_boundary_arn", None) if role else None

    def role_tags(self, name: str) -> dict[str, str]:
        role = self.role(name)
        tags = (role.tags if role else None) or {}
        return {t["Key"]: t["Value"] for t in (tags.values() if isinstance(tags, dict) else tags)}

    def redshift_tags(self, arn: str) -> dict[str, str]:
        from moto.redshift.models import redshift_backends

        try:
            resource = redshift_backends[self.account][self.region]._get_resource_from_arn(arn)
        except Exception:
            return {}
        return {t["Key"]: t["Value"] for t in resource.tags}

    def log_group_tags(self, name: str) -> dict[str, str]:
        from moto.logs.models import logs_backends

        try:
            # moto keeps a group's tags in its backend's tagger, not on the group (moto 5)
            return dict(logs_backends[self.account][self.region].list_tags_log_group(name) or {})
        except Exception:
            return {}

    def bucket_tags(self, bucket: str) -> dict[str, str]:
        from moto.s3.models import s3_backends

        try:
            tagging = s3_backends[self.account]["aws"].get_bucket_tagging(bucket)
        except Exception:
            return {}
        return {t["Key"]: t["Value"] for t in tagging.get("Tags", [])}

    def service_linked_role_exists(self, service: str) -> bool:
        try:
            return any(r.path == f"/aws-service-role/{service}/" for r in self.iam().roles.values())
        except Exception:
            return True
