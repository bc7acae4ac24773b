"""IAM's policy evaluation, as AWS documents it, for one request: one action
on one resource with its request context. One evaluator for the rehearsal's
gate (every AWS call) and the Data API endpoint's COPY role check.

Sources, abbreviated below: [LOGIC] "Policy evaluation logic",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
[OPS] "IAM JSON policy elements: Condition operators",
.../reference_policies_elements_condition_operators.html; [MULTI] "Conditions
with multiple context keys or values" and "Set operators for multivalued
context keys", .../reference_policies_multi-value-conditions.html and
.../reference_policies_condition-single-vs-multi-valued-context-keys.html;
[VARS] "IAM policy elements: Variables and tags",
.../reference_policies_variables.html; [ACTION] and [RESOURCE] the Action and
Resource element pages, .../reference_policies_elements_action.html and
.../reference_policies_elements_resource.html; [BOUNDARY] "Permissions
boundaries for IAM entities", .../access_policies_boundaries.html.

The rules:

1. An explicit Deny in any policy (identity or boundary) denies; else an
   Allow in the identity policies is needed; else the request is implicitly
   denied [LOGIC]. When the principal has a permissions boundary, an Allow
   in the boundary is needed too: "the effective permissions are the
   intersection" of the two [BOUNDARY].
2. ``Action`` / ``NotAction``: the service prefix and action name match case-
   insensitively, ``*`` and ``?`` as wildcards [ACTION]. ``Resource`` /
   ``NotResource``: ARNs match case-sensitively, ``*`` and ``?`` anywhere,
   across the ARN's ``:`` and ``/`` [RESOURCE]. A statement with neither
   element of a pair matches nothing.
3. Conditions: operators AND, keys of one operator AND, values of one key OR,
   values of a negated operator NOR [MULTI]. "If the key that you specify in
   a policy condition is not present in the request context, the values do not
   match and the condition is false. If the policy condition requires that the
   key is not matched, such as StringNotLike or ArnNotLike, and the right key
   is not present, the condition is true. This logic applies to all condition
   operators except ...IfExists and Null check" [OPS]: ``...IfExists`` holds
   when the key is absent; ``Null: true`` holds exactly when it is absent.
   Operators: String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress /
   NotIpAddress, Arn* [OPS]. Keys match case-insensitively, values as the
   operator says.
4. Multivalued keys (``aws:TagKeys``): ``ForAllValues:`` holds when every value
   in the request matches one in the condition, and "returns true if there are
   no context keys in the request, or if the context key value resolves to a
   null data set, such as an empty string" [MULTI]; ``ForAnyValue:`` when at
   least one does, and is false when the key is absent or empty [MULTI]. A
   plain operator on a key the request carries several values of is taken
   strictly (unconfirmed: AWS advises the set operators for such keys): an
   Allow needs every value to match, a Deny applies when any does.
5. Policy variables ``${aws:username}``, ``${aws:userid}``,
   ``${aws:PrincipalTag/...}`` (any context key), the special ``${*}``,
   ``${?}``, ``${$}`` and a default ``${key, 'value'}``, in ``Resource`` and in
   condition values [VARS]. A variable that cannot resolve (its key absent
   from the request, or several-valued, and no default): "If AWS cannot
   resolve a variable, this might cause the entire statement to be invalid",
   and a key "not present" is one that "any attempt to match ... fails and
   causes the statement to be invalid" [VARS]; AWS does not say what an
   invalid statement does (unconfirmed, the strictest reading, as rule 6): in
   ``Resource`` or ``NotResource`` it makes an Allow statement not apply and a
   Deny statement apply (to the actions it names), whatever its other
   patterns; in a condition value it makes an Allow's condition fail and a
   Deny's hold, whatever its other values, the key's presence or
   ``...IfExists``.
6. An operator this module does not know makes an Allow not apply and a Deny
   apply: it errs towards refusing.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

Context = dict  # key -> str | list[str]


@dataclass(frozen=True)
class Request:
    """One authorisation: ``action`` (``ec2:CreateVpc``) on ``resource`` (an ARN,
    or ``*`` for an action with no resource type) with its ``context`` (condition
    key -> a string, or a list of strings for a multivalued key)."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """``allowed``; ``why``: ``allowed``, ``explicit deny``, ``implicit deny`` or
    ``boundary`` (the identity allows, the permissions boundary does not);
    ``sid``: the Sid (or ``#n``, its position) of the statement that allowed or denied."""

    allowed: bool
    why: str
    sid: str = ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _lookup(context: Context, key: str) -> Any:
    lowered = key.lower()
    for k, v in context.items():
        if k.lower() == lowered:
            return v
    return None


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Unresolved(Exception):
    pass


def substitute(text: str, context: Context) -> str:
    """``text`` with its policy variables replaced from ``context`` [VARS];
    raises _Unresolved for a variable the context lacks and that has no default."""
    def one(match: re.Match) -> str:
        inner = match.group(1)
        if inner in ("*", "?", "$"):
            return "\x00" + inner  # a literal character, protected from glob expansion
        name, _, default = inner.partition(",")
        value = _lookup(context, name.strip())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            default = default.strip()
            if len(default) >= 2 and default[0] == default[-1] == "'":
                return default[1:-1]
            raise _Unresolved(name)
        return str(value)

    return _VARIABLE.sub(one, text)


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, case: bool) -> re.Pattern:
    """The compiled form of a wildcard ``pattern`` (cached: the gate asks the same few hundred
    patterns on every request)."""
    parts = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\x00":  # ${*}, ${?}, ${$}: the literal character
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(parts), re.DOTALL | (0 if case else re.IGNORECASE))


def _glob(pattern: str, value: str, case: bool) -> bool:
    if "*" not in pattern and "?" not in pattern and "\x00" not in pattern:
        return pattern == value if case else pattern.lower() == value.lower()
    return _glob_regex(pattern, case).fullmatch(value) is not None


def _matches_any(patterns: Iterable[Any], value: str, case: bool, context: Context | None = None) -> bool:
    """Whether one of ``patterns`` matches ``value``; with ``context``, each pattern's policy variables are
    substituted first, every one of them (raises _Unresolved for one that cannot resolve)."""
    texts = [str(p) if context is None else substitute(str(p), context) for p in patterns]
    return any(_glob(text, value, case) for text in texts)


def statement_applies(statement: dict[str, Any], request: Request, effect: str = "Allow") -> bool:
    """True when ``statement``'s Action/NotAction and Resource/NotResource take ``request`` (rule 2); a
    ``Resource`` or ``NotResource`` whose policy variable cannot resolve, when ``effect`` is ``Deny`` (rule 5)."""
    if "Action" in statement:
        if not _matches_any(_as_list(statement["Action"]), request.action, False):
            return False
    elif "NotAction" in statement:
        if _matches_any(_as_list(statement["NotAction"]), request.action, False):
            return False
    else:
        return False
    try:
        if "Resource" in statement:
            return _matches_any(_as_list(statement["Resource"]), request.resource, True, request.context)
        if "NotResource" in statement:
            return not _matches_any(_as_list(statement["NotResource"]), request.resource, True, request.context)
    except _Unresolved:
        return effect == "Deny"  # rule 5
    return False


# --- condition operators [OPS] ----------------------------------------------------------

def _number(text: Any) -> float:
    return float(text)


def _date(text: Any) -> float:
    text = str(text)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):  # epoch seconds
        return float(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _compare(convert: Any, test: str) -> Any:
    tests = {"Equals": lambda a, b: a == b, "NotEquals": lambda a, b: a != b, "LessThan": lambda a, b: a < b,
             "LessThanEquals": lambda a, b: a <= b, "GreaterThan": lambda a, b: a > b,
             "GreaterThanEquals": lambda a, b: a >= b}[test]
    return lambda wanted, value: tests(convert(value), convert(wanted))


def _ip(wanted: str, value: str) -> bool:
    return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)


def _arn_like(wanted: str, value: str) -> bool:
    # "Each of the six colon-delimited components of the ARN is checked separately" [OPS, ARN].
    want, got = wanted.split(":", 5), value.split(":", 5)
    return len(want) == len(got) == 6 and all(_glob(w, g, True) for w, g in zip(want, got))


# name -> (matches(wanted, value) -> bool, negated)
OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda w, v: w == v, False), "StringNotEquals": (lambda w, v: w == v, True),
    "StringEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), True),
    "StringLike": (lambda w, v: _glob(w, v, True), False), "StringNotLike": (lambda w, v: _glob(w, v, True), True),
    "Bool": (lambda w, v: w.lower() == v.lower(), False), "BinaryEquals": (lambda w, v: w == v, False),
    "IpAddress": (_ip, False), "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn_like, False), "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True), "ArnNotLike": (_arn_like, True),
}
for _test in ("Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals"):
    OPERATORS["Numeric" + _test] = (_compare(_number, _test), False)
    OPERATORS["Date" + _test] = (_compare(_date, _test), False)
OPERATORS["NumericNotEquals"] = (_compare(_number, "Equals"), True)
OPERATORS["DateNotEquals"] = (_compare(_date, "Equals"), True)


def _one_value(op: str, wanted: list[str], value: str) -> bool:
    """Does one request value satisfy ``op`` against the condition's values (OR; NOR when negated)?"""
    match, negated = OPERATORS[op]
    try:
        hit = any(match(w, value) for w in wanted)
    except (ValueError, TypeError):
        hit = False  # a value of the wrong type matches nothing
    return not hit if negated else hit


def _holds(operator: str, key: str, wanted_raw: Any, context: Context, effect: str) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op[: -len("IfExists")] if if_exists else op
    value = _lookup(context, key)
    values = [] if value is None else [str(v) for v in _as_list(value)]
    present = values != []
    if op == "Null":  # true: the key must be absent; false: present [OPS, Null]
        return (not present) == (str(_as_list(wanted_raw)[0]).lower() == "true")
    if op not in OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        return effect == "Deny"  # rule 6
    try:
        wanted = [substitute(str(w).lower() if op == "Bool" else str(w), context) for w in _as_list(wanted_raw)]
    except _Unresolved:
        return effect == "Deny"  # rule 5: the statement may be invalid; an Allow does not apply, a Deny does
    in_set = [v for v in values if v != ""]  # "a null data set, such as an empty string" [MULTI]
    if qualifier == "ForAllValues":
        return all(_one_value(op, wanted, v) for v in in_set)
    if qualifier == "ForAnyValue":
        return any(_one_value(op, wanted, v) for v in in_set)
    if not present:
        return if_exists or OPERATORS[op][1]
    results = [_one_value(op, wanted, v) for v in values]
    return all(results) if effect == "Allow" else any(results)  # rule 4, strict for several values


def conditions_hold(block: dict[str, Any] | None, context: Context, effect: str = "Allow") -> bool:
    """True when every condition of ``block`` holds for ``context`` (rule 3)."""
    for operator, tests in (block or {}).items():
        for key, wanted in tests.items():
            if not _holds(operator, key, wanted, context, effect):
                return False
    return True


# --- evaluation [LOGIC] -------------------------------------------------------------------

def _sid(statement: dict[str, Any], position: int) -> str:
    return str(statement.get("Sid") or f"#{position + 1}")


def matching(documents: Iterable[dict[str, Any]], request: Request) -> list[tuple[str, str]]:
    """``(effect, sid)`` of every statement of ``documents`` that applies to ``request``."""
    found = []
    for doc in documents:
        for i, statement in enumerate(_as_list(doc.get("Statement", []))):
            effect = statement.get("Effect")
            if effect in ("Allow", "Deny") and statement_applies(statement, request, effect) and \
                    conditions_hold(statement.get("Condition"), request.context, effect):
                found.append((effect, _sid(statement, i)))
    return found


def evaluate(identity: list[dict[str, Any]], request: Request, boundary: dict[str, Any] | None = None) -> Decision:
    """IAM's decision for ``request`` made by a principal holding ``identity``
    policies within ``boundary`` (None: no permissions boundary) (rule 1)."""
    found = matching(identity, request)
    bounded = matching([boundary], request) if boundary is not None else []
    for effect, sid in found + bounded:
        if effect == "Deny":
            return Decision(False, "explicit deny", sid)
    allows = [sid for effect, sid in found if effect == "Allow"]
    if not allows:
        return Decision(False, "implicit deny")
    if boundary is not None and not any(effect == "Allow" for effect, _ in bounded):
        return Decision(False, "boundary")
    return Decision(True, "allowed", allows[0])


__all__ = ["Decision", "OPERATORS", "Request", "conditions_hold", "evaluate", "matching", "statement_applies",
           "substitute"]
