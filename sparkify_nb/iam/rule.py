"""What a scope rule is made of: the :class:`Stack` a policy is scoped to, one
:class:`Rule` (a statement: actions, resources, condition, why), and the
conditions several services' rules share. The rules themselves, per service:
:mod:`.rules_ec2`, :mod:`.rules_redshift`, :mod:`.rules_iam`, :mod:`.rules_s3`;
:mod:`.scopes` puts them together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..config import Settings
from . import analyst, boundary, copy_role, lease, scheduler
from .tags import OWNER_KEY, TAG_KEY

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
PAGES = {"ec2": SAR + "list_amazonec2.html", "redshift": SAR + "list_amazonredshift.html",
         "redshift-serverless": SAR + "list_amazonredshiftserverless.html",
         "redshift-data": SAR + "list_amazonredshiftdataapi.html",
         "iam": SAR + "list_awsidentityandaccessmanagementiam.html", "s3": SAR + "list_amazons3.html",
         "secretsmanager": SAR + "list_awssecretsmanager.html", "sts": SAR + "list_awssecuritytokenservice.html",
         "logs": SAR + "list_amazoncloudwatchlogs.html", "pricing": SAR + "list_awspricelist.html",
         "scheduler": SAR + "list_amazoneventbridgescheduler.html"}


@dataclass(frozen=True)
class Stack:
    """What the policy is scoped to: the settings' names, ``account`` (``*``
    when not given), ``partition``."""

    settings: Settings
    account: str = "*"
    partition: str = "aws"
    principal: str | None = None  # the operator's own user or role ARN, when known

    def get(self, key: str) -> Any:
        return self.settings.get("cluster", key)

    @property
    def name(self) -> str:
        return self.settings.stack_name

    @property
    def kind(self) -> str:
        return self.get("kind")

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.settings.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def redshift(self, resource: str) -> str:
        return self.arn("redshift", resource)

    def role(self, name: str) -> str:
        return self.arn("iam", f"role/{name}", regional=False)

    @property
    def boundary(self) -> str:
        return boundary.policy_arn(self.settings, self.account, self.partition)

    @property
    def roles(self) -> list[str]:
        """Every role the stack may make (:mod:`.copy_role`, :mod:`.scheduler`, :mod:`.analyst`, :mod:`.lease`)."""
        return [self.role(copy_role.role_name(self.settings)), self.role(scheduler.role_name(self.settings)),
                self.role(analyst.role_name(self.settings)), self.role(lease.role_name(self.settings))]


@dataclass(frozen=True)
class Rule:
    """One statement: the ``actions`` it may hold (those of a run that are
    here), on ``resources(stack)``, under ``condition(stack)``; ``why`` says what for."""

    sid: str
    actions: frozenset[str]
    resources: Callable[[Stack], list[str]]
    condition: Callable[[Stack], dict[str, Any] | None] = field(default=lambda _: None)
    why: str = ""
    effect: str = "Allow"


def request_tagged(stack: Stack) -> dict[str, Any]:
    """A create must set ``sparkify:stack = <stack>`` and no tag key but ours."""
    return {"StringEquals": {f"aws:RequestTag/{TAG_KEY}": stack.name},
            "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_KEY, OWNER_KEY, "Name"]}}


def resource_tagged(stack: Stack) -> dict[str, Any]:
    """The resource acted on carries ``sparkify:stack = <stack>``."""
    return {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": stack.name}}


def in_region(stack: Stack) -> dict[str, Any]:
    return {"StringEquals": {"aws:RequestedRegion": stack.settings.region}}
