"""What the account's administrator applies, once per stack, before 01 runs:
the permissions boundary of the stack's roles (:mod:`.boundary`) and the
operator's policy (:mod:`.operator`), with the AWS CLI commands that create
and attach them. ``sparkify-nb iam-policy --admin`` prints it all as one shell
script (:func:`script`).

Why an administrator, not 01: IAM has no condition key on a policy's
document (``iam:CreatePolicy`` and ``iam:CreatePolicyVersion`` take only tag
keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
so whoever may create, delete or version the boundary may write one that
allows ``*``, make a stack role under it with a ``*`` inline policy and, on
Serverless, assume it. The operator policy therefore holds no action that
creates, deletes or versions a managed policy; the boundary is made by
someone who may already do everything, and 01 only reads it back and stops
when it differs (:mod:`sparkify_nb.infra.boundary`).

The operator's policy is longer than one managed policy may be ("Managed
policy size: 6,144 characters", whitespace not counted; 10 managed policies
per user or role by default:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), so
the administrator gets it in parts (:func:`operator_parts`), each a managed
policy ``<stack>-operator-<n>``, every statement whole in one part.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from ..config import Settings
from . import boundary, operator
from .errors import PolicyError
from .tags import TAG_KEY

QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
MANAGED_POLICY_CHARS = 6144  # not counting whitespace (QUOTAS)
ATTACHED_PER_PRINCIPAL = 10  # managed policies per user or role, by default (QUOTAS)


def size(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it: characters of its JSON, whitespace not counted."""
    return len("".join(json.dumps(document, separators=(",", ":")).split()))


def operator_parts(policy: dict[str, Any], limit: int = MANAGED_POLICY_CHARS) -> list[dict[str, Any]]:
    """``policy`` cut into documents of at most ``limit`` characters (:func:`size`),
    statements whole and in order. Raises :class:`PolicyError` for a statement
    that alone is longer, or for more parts than a principal may have attached."""
    parts: list[list[dict[str, Any]]] = [[]]
    for statement in policy["Statement"]:
        if size({"Version": policy["Version"], "Statement": [statement]}) > limit:
            raise PolicyError(f"statement {statement.get('Sid')} alone is longer than a managed policy may be "
                              f"({limit} characters: {QUOTAS})")
        if size({"Version": policy["Version"], "Statement": parts[-1] + [statement]}) > limit:
            parts.append([])
        parts[-1].append(statement)
    if len(parts) > ATTACHED_PER_PRINCIPAL:
        raise PolicyError(f"the operator policy needs {len(parts)} managed policies; a user or role may have "
                          f"{ATTACHED_PER_PRINCIPAL} attached by default ({QUOTAS})")
    return [{"Version": policy["Version"], "Statement": part} for part in parts]


def operator_policy_names(settings: Settings, count: int) -> list[str]:
    """``<stack>-operator-1`` ... ``<stack>-operator-<count>``."""
    return [f"{settings.stack_name}-operator-{n}" for n in range(1, count + 1)]


def _attach(principal: str | None, policy_arn: str) -> str:
    """The CLI command that attaches ``policy_arn`` to the operator: the role or user ``principal``
    names, else the user in ``$OPERATOR_USER``."""
    if principal and ":role/" in principal:
        return f"aws iam attach-role-policy --role-name {principal.rsplit('/', 1)[-1]} --policy-arn {policy_arn}"
    user = principal.rsplit("/", 1)[-1] if principal and ":user/" in principal else '"$OPERATOR_USER"'
    return f"aws iam attach-user-policy --user-name {user} --policy-arn {policy_arn}"


def create_boundary_command(settings: Settings) -> str:
    """The command that makes the boundary from ``<stack>-boundary.json`` (what 01 prints when it is missing)."""
    name = boundary.policy_name(settings)
    return (f"aws iam create-policy --policy-name {name} --policy-document file://{name}.json "
            f"--description {shlex.quote(boundary.DESCRIPTION)} --tags Key={TAG_KEY},Value={settings.stack_name}")


def commands(settings: Settings, account: str, principal: str | None = None,
             partition: str = "aws") -> list[str]:
    """The AWS CLI commands the administrator runs (each document in a file named after its policy):
    create the boundary, create the operator's policies and attach them to ``principal``."""
    out = [create_boundary_command(settings)]
    parts = operator_parts(operator.policy(settings, account, principal, partition))
    for part_name in operator_policy_names(settings, len(parts)):
        out.append(f"aws iam create-policy --policy-name {part_name} --policy-document file://{part_name}.json "
                   f"--tags Key={TAG_KEY},Value={settings.stack_name}")
        out.append(_attach(principal, f"arn:{partition}:iam::{account}:policy/{part_name}"))
    return out


def script(settings: Settings, account: str, principal: str | None = None, partition: str = "aws") -> str:
    """What ``sparkify-nb iam-policy --admin`` prints: a shell script that writes
    the boundary and the operator's policies into files and runs :func:`commands`.
    Raises :class:`PolicyError` when ``account`` is not a 12-digit account id."""
    if not (len(account) == 12 and account.isascii() and account.isdigit()):  # str.isdigit() alone takes "１２…"
        raise PolicyError(f"--admin needs the 12-digit --account the policies are for, not {account!r}")
    name = boundary.policy_name(settings)
    parts = operator_parts(operator.policy(settings, account, principal, partition))
    files = [(name, boundary.document(settings, account, partition))] + list(
        zip(operator_policy_names(settings, len(parts)), parts))
    lines = ["#!/bin/sh",
             f"# What the administrator of account {account} applies once for the Sparkify stack "
             f"{settings.stack_name!r}",
             "# (sparkify-nb iam-policy --admin; why: docs/redshift.md, 'Who applies what'). Run it with",
             "# administrator credentials: sparkify-nb iam-policy --admin ... > admin.sh && sh admin.sh",
             "set -e"]
    if not (principal and (":role/" in principal or ":user/" in principal)):
        lines.append('OPERATOR_USER="${OPERATOR_USER:?set OPERATOR_USER to the IAM user who runs the suite, '
                     'or print this with --principal}"')
    for file_name, document in files:
        lines += [f"cat > {file_name}.json <<'JSON'", json.dumps(document, indent=2), "JSON"]
    return "\n".join(lines + commands(settings, account, principal, partition)) + "\n"
