"""A role's trust policy, the resource-based policy ``sts:AssumeRole`` is decided
on besides the caller's own: "In IAM roles, use the Principal element in the role
trust policy to specify who can assume the role"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
The gate (:mod:`.gate`) asks :func:`decide` when a gated principal assumes a role
of its own account, after its own policies allowed the call.

- A statement applies when its ``Action`` matches ``sts:AssumeRole`` and its
  ``Principal`` names the caller: ``"*"`` or ``{"AWS": "*"}``; the caller's
  account (``arn:aws:iam::<account>:root`` or the bare 12 digits: "the account
  ... delegates to the account's identity policies", the page above); the
  caller's user ARN; for a role's session, the role's ARN or the session's own
  ARN. ``Service`` and ``Federated`` principals never name a user or a session.
  Its ``Condition`` is evaluated with the request's context
  (:mod:`.evaluate`; ``aws:PrincipalArn`` is what the trust of 04's analyst
  role conditions on).
- An explicit Deny refuses; else an Allow is needed ("with an explicit deny in a
  resource-based policy" / "because no resource-based policy allows the
  sts:AssumeRole action", "Access denied error messages",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied-error-messages.html).
- Both the caller's own policies and the trust are required, even where the
  trust names the caller's ARN itself (the strictest reading: unconfirmed
  whether AWS then waives the identity policy for a role in the same account).
  ``NotPrincipal`` is read strictly too: such an Allow never applies, such a
  Deny always does.
"""

from __future__ import annotations

from typing import Any

from ...iam.calls import Principal
from .evaluate import Decision, Request, conditions_hold, statement_applies


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def names(principal: Any, who: Principal) -> bool:
    """True when a statement's ``Principal`` element names ``who``."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    mine = {who.arn, who.role, who.account, f"arn:aws:iam::{who.account}:root", "*"} - {""}
    return any(value in mine for value in _as_list(principal.get("AWS", [])))


def decide(trust: dict[str, Any], who: Principal, context: dict[str, Any]) -> Decision:
    """The trust policy's decision on ``who`` assuming the role, with the request ``context``."""
    request = Request("sts:AssumeRole", "*", context)
    allowed = ""
    for i, statement in enumerate(_as_list(trust.get("Statement", []))):
        effect = statement.get("Effect")
        named = names(statement["Principal"], who) if "Principal" in statement else effect == "Deny"
        if not (named and statement_applies({**statement, "Resource": "*"}, request)
                and conditions_hold(statement.get("Condition"), context, effect)):
            continue
        sid = str(statement.get("Sid") or f"#{i + 1}")
        if effect == "Deny":
            return Decision(False, "trust deny", sid)
        allowed = allowed or sid
    return Decision(True, "allowed", allowed) if allowed else Decision(False, "trust")


__all__ = ["decide", "names"]
