"""Whose stack this is: 01 and 99 stop when the stack was made by someone else.

Everything 01 makes carries ``sparkify:owner = <the caller's ARN>`` next to
``sparkify:stack`` (:meth:`.Context.tags`). Before 01 makes or changes anything,
and before 99 deletes anything, :func:`check` reads the owner tags of what the
stack holds (the same walk as the inventory, :data:`.resources.KINDS`) and
compares them with the caller (``sts:GetCallerIdentity``). Another owner stops
the run with :class:`StackOwnedError`, naming the owner and the resources,
unless ``[general] adopt_stack = true``; then the run goes on and says so (the
owner tags stay as they are: they record who made each resource; what this
run makes carries the caller). Resources made before owner tags existed have
none: they do not stop the run (there is no one to name).

This protects people from each other's mistakes in one account (two people on
the default ``stack_name``), not from each other's intent: the operator policy
(:mod:`.access`) scopes every permission to the stack's name and tag, not to
its owner. A stack name per person is the real separation (README).
"""

from __future__ import annotations

from typing import Any

from .context import OWNER_KEY, Context, owner_value, tag_value
from .errors import InfraError


class StackOwnedError(InfraError):
    """The stack was made by another identity and ``[general] adopt_stack`` is not set."""


def item_tags(item: dict[str, Any]) -> list[dict[str, str]]:
    """The tags a find step returned with ``item`` (``Tags`` or Serverless ``tags``)."""
    return item.get("Tags") or item.get("tags") or []


def owners(found: list[tuple[Any, dict[str, Any]]]) -> dict[str, list[str]]:
    """``{owner ARN: ["<kind> <id>", ...]}`` of the found ``(kind, item)`` pairs that carry an owner tag."""
    out: dict[str, list[str]] = {}
    for kind, item in found:
        owner = tag_value(item_tags(item), OWNER_KEY)
        if owner:
            out.setdefault(owner, []).append(kind.describe(item))
    return out


def check(ctx: Context, found: list[tuple[Any, dict[str, Any]]], doing: str) -> str:
    """Compare the owners of ``found`` (the stack's resources) with the caller.
    Returns the line that says whose stack it is; raises
    :class:`StackOwnedError` when another identity made some of it and
    ``[general] adopt_stack`` is false. ``doing``: ``"01"`` or ``"99"``, for the message."""
    settings, me = ctx.settings, owner_value(ctx.caller["Arn"])
    by_owner = owners(found)
    others = {owner: what for owner, what in by_owner.items() if owner != me}
    if not by_owner:
        return f"stack {settings.stack_name}: {'no owner tag on it' if found else 'nothing made yet'}; you are {me}"
    if not others:
        return f"stack {settings.stack_name}: yours ({me})"
    named = "; ".join(f"{owner} made {', '.join(what[:3])}{' and more' if len(what) > 3 else ''}"
                      for owner, what in sorted(others.items()))
    if not settings.get("general", "adopt_stack"):
        raise StackOwnedError(
            f"stack {settings.stack_name} is someone else's: {named}. You are {me}, so {doing} stops before it "
            "changes anything. Use a stack of your own ([general] stack_name, and [cluster] identifier), or set "
            "[general] adopt_stack = true (SPARKIFY_GENERAL_ADOPT_STACK=true) to work on theirs")
    return f"stack {settings.stack_name}: adopted ([general] adopt_stack = true): {named}; you are {me}"
