"""Check the stack's permissions boundary, which the account's administrator
makes (its document, and why the operator may not: :mod:`sparkify_nb.iam.boundary`,
:mod:`sparkify_nb.iam.admin`).

01 reads the boundary back (``iam:GetPolicy``, ``iam:GetPolicyVersion``) and
stops, printing the administrator's command, when it is missing or holds
another document than :func:`~sparkify_nb.iam.boundary.document`
(:func:`ensure_boundary`). 99 leaves it: the administrator deletes it
(``aws iam delete-policy``) once the stack's roles are gone, which 99 says
(:func:`left_line`).

Who plays the administrator on the emulator (``local`` and a rehearsal):
the local stack, through :meth:`sparkify_nb.aws.Clients.administrator`, in
01's boundary step, before any role is made: :func:`administer` makes or
corrects the boundary exactly as the administrator's commands would, with a
line that says so. A learner on an account of their own does the same on
AWS in one go with the script ``sparkify-nb iam-policy --admin`` prints (README).
"""

from __future__ import annotations

import json
from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..iam.admin import create_boundary_command
from ..iam.boundary import DESCRIPTION, document, policy_arn, policy_name
from ..iam.copy_role import document as decoded
from ..iam.tags import TAG_KEY
from .context import Context
from .errors import InfraError

# IAM keeps at most five versions of a managed policy
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
MAX_VERSIONS = 5


class BoundaryError(InfraError):
    """The stack's boundary is missing, or holds another document than the stack needs."""


def _arn(ctx: Context) -> str:
    return policy_arn(ctx.settings, ctx.caller["Account"], ctx.partition)


def find_boundary(ctx: Context) -> list[dict[str, Any]]:
    """The boundary, when it exists (the administrator's: whoever tagged it, its document is what counts)."""
    found = aws.call(ctx.client("iam"), "get_policy", missing=("NoSuchEntity",), PolicyArn=_arn(ctx))
    if not found:
        return []
    policy = found["Policy"]
    return [{"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"], "Tags": policy.get("Tags", []),
             "DefaultVersionId": policy.get("DefaultVersionId")}]


def problem(iam: Any, settings: Settings, account: str, partition: str = "aws") -> str | None:
    """Why the boundary in ``account`` will not do (missing, or another
    document than :func:`document`), or None when it is exactly the one the stack needs."""
    arn = policy_arn(settings, account, partition)
    found = aws.call(iam, "get_policy", missing=("NoSuchEntity",), PolicyArn=arn)
    if not found:
        return f"permissions boundary {arn} does not exist"
    version = aws.call(iam, "get_policy_version", PolicyArn=arn, VersionId=found["Policy"]["DefaultVersionId"])
    if decoded(version["PolicyVersion"]["Document"]) != document(settings, account, partition):
        return (f"permissions boundary {arn} allows something else than this stack needs (its sources or "
                "[cluster] identifier changed, or someone edited it)")
    return None


def what_to_do(settings: Settings, account: str, partition: str = "aws", missing: bool = True) -> str:
    """The administrator's command, in words 01 prints."""
    arn, name = policy_arn(settings, account, partition), policy_name(settings)
    if missing:
        return (f"an administrator makes it once: `sparkify-nb iam-policy --admin --account {account}` prints the "
                f"document ({name}.json) and the commands, among them `{create_boundary_command(settings)}` "
                "(docs/redshift.md, 'Who applies what')")
    return (f"an administrator sets the document `sparkify-nb iam-policy --boundary --account {account}` prints "
            f"(`aws iam create-policy-version --policy-arn {arn} --set-as-default --policy-document "
            f"file://{name}.json`); the operator policy may not change a boundary, which is the point")


def administer(clients: aws.Clients, settings: Settings, account: str, partition: str = "aws",
               progress: Progress = print) -> str:
    """As the account's administrator: make the boundary, or make its default
    version :func:`document` (the oldest other version deleted first when IAM's
    five are used). Returns what was done, in words."""
    iam, arn, name = clients("iam"), policy_arn(settings, account, partition), policy_name(settings)
    wanted = json.dumps(document(settings, account, partition))
    if not aws.call(iam, "get_policy", missing=("NoSuchEntity",), PolicyArn=arn):
        aws.call(iam, "create_policy", PolicyName=name, PolicyDocument=wanted, Description=DESCRIPTION,
                 Tags=[{"Key": TAG_KEY, "Value": settings.stack_name}])
        return "created"
    versions = aws.call(iam, "list_policy_versions", PolicyArn=arn)["Versions"]
    others = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
    if len(versions) >= MAX_VERSIONS:
        aws.call(iam, "delete_policy_version", PolicyArn=arn, VersionId=others[0]["VersionId"])
    aws.call(iam, "create_policy_version", PolicyArn=arn, PolicyDocument=wanted, SetAsDefault=True)
    return "set to the document this stack needs"


def ensure_boundary(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Check that the boundary exists with exactly :func:`document`; returns
    ``{"boundary_arn": ...}``. On AWS a missing or different one raises
    :class:`BoundaryError` with the administrator's command; on the emulator
    the local stack plays the administrator (module docstring)."""
    settings, account, arn, name = ctx.settings, ctx.caller["Account"], _arn(ctx), policy_name(ctx.settings)
    found = problem(ctx.client("iam"), settings, account, ctx.partition)
    if found is None:
        ctx.progress(f"permissions boundary {name}: exists, as this stack needs (the administrator's)")
        return {"boundary_arn": arn}
    if not settings.on_emulator:
        raise BoundaryError(f"{found}. The operator policy may not create or change it: "
                            f"{what_to_do(settings, account, ctx.partition, missing='does not exist' in found)}")
    done = administer(ctx.clients.administrator(), settings, account, ctx.partition)
    ctx.progress(f"permissions boundary {name}: {done} by the local stack, playing the account's administrator "
                 "(on AWS an administrator applies it once: sparkify-nb iam-policy --admin)")
    return {"boundary_arn": arn}


def left_line(ctx: Context) -> str | None:
    """What 99 says about the boundary it leaves, or None when there is none."""
    if not find_boundary(ctx):
        return None
    return (f"kept: permissions boundary {policy_name(ctx.settings)}, the administrator's (the operator policy may "
            f"not delete a policy); once no role uses it, an administrator removes it with "
            f"`aws iam delete-policy --policy-arn {_arn(ctx)}`")
