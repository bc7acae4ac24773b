"""The operator policy's rules for the lease (:mod:`.lease`): the stack's lease
schedules by name, and its role passed to EventBridge Scheduler only.

What the operator gains is only what creating, reading, moving and deleting
those one or two schedules needs. The Service Authorization Reference lists
``schedule`` (``arn:${Partition}:scheduler:${Region}:${Account}:schedule/${GroupName}/${ScheduleName}``)
as the required resource of ``CreateSchedule``, ``UpdateSchedule``,
``GetSchedule`` and ``DeleteSchedule``, and ``iam:PassRole`` as a dependent
action of the first two
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html),
so each is held to the schedules' ARNs in the ``default`` group, and
``iam:PassRole`` to the lease role with ``iam:PassedToService =
scheduler.amazonaws.com`` (AWS's own managed policy for the Scheduler scopes
PassRole the same way:
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEventBridgeSchedulerFullAccess.html).
Making and deleting the role itself falls under the rules of every stack
role (:mod:`.rules_iam`: by name, only with the permissions boundary), which
:attr:`.rule.Stack.roles` extends to it. No schedule group is made (the
schedules use ``default``), so no ``scheduler:*ScheduleGroup`` action.
"""

from __future__ import annotations

from . import lease
from .rule import Rule, Stack


def _schedules(stack: Stack) -> list[str]:
    # 99 looks for both kinds' schedules (a stack switched between kinds), so both names stay in the policy.
    return lease.schedule_arns(stack.settings, stack.account, stack.partition)


def _lease_role(stack: Stack) -> list[str]:
    return [stack.roles[3]] if stack.get("lease_hours") else []


RULES: list[Rule] = [
    Rule("TheLeaseSchedulesOfThisStack", frozenset({"scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                                                    "scheduler:GetSchedule", "scheduler:DeleteSchedule"}),
         _schedules, why="01 sets the deadline at which AWS deletes the warehouse, `sparkify-nb lease extend` moves "
                         "it, 99 removes it: the stack's lease schedules by name, in the default group"),
    Rule("PassTheLeaseRoleToTheScheduler", frozenset({"iam:PassRole"}), _lease_role,
         lambda s: {"StringEquals": {"iam:PassedToService": [lease.SERVICE_PRINCIPAL]}},
         "the lease role goes to EventBridge Scheduler only (the role may delete this warehouse and nothing else)"),
]
