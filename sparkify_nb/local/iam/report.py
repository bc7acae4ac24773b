"""A rehearsal's permissions report (issue 25, item 6): what the IAM gates
(:mod:`.gate` in front of the emulator, :mod:`sparkify_nb.local.rehearsal.authorise`
in the Data API endpoint) authorised in the rehearsal's account, read from their
notes (``<state>/local/accounts/<account>.permissions.jsonl``):

- each distinct (action, resource) pair allowed and the statement (``Sid``) that allowed it;
- what was refused, and why;
- the requests the gate could not read (an operation its table lacks);
- the operator policy's statements that allowed nothing: candidates for removal
  (or for a rehearsal that calls more: 99, a pause schedule, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAME = "permissions.md"


def notes_path(account: str, state: Path | None = None) -> Path:
    from .account import _folder

    return _folder(state) / f"{account}.permissions.jsonl"


def read(account: str, state: Path | None = None) -> list[dict[str, str]]:
    path = notes_path(account, state)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def build(notes: list[dict[str, str]], policy: list[dict[str, Any]]) -> dict[str, Any]:
    """The report of ``notes`` against the operator's ``policy`` documents."""
    allowed = sorted({(n["action"], n["resource"], n["sid"]) for n in notes if n["outcome"] == "allowed"})
    refused = sorted({(n["action"], n["resource"], n["outcome"]) for n in notes
                      if n["outcome"] not in ("allowed", "unevaluated")})
    unevaluated = sorted({n["action"] for n in notes if n["outcome"] == "unevaluated"})
    sids = [str(s.get("Sid") or f"#{i + 1}") for doc in policy for i, s in enumerate(
        doc.get("Statement", []) if isinstance(doc.get("Statement"), list) else [doc.get("Statement")])
        if s.get("Effect") == "Allow"]
    used = {sid for _, _, sid in allowed}
    return {"allowed": [{"action": a, "resource": r, "sid": s} for a, r, s in allowed],
            "refused": [{"action": a, "resource": r, "why": w} for a, r, w in refused],
            "unevaluated": unevaluated, "allowed_nothing": [s for s in dict.fromkeys(sids) if s not in used]}


def text(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    lines = ["# Permissions the rehearsal used", "",
             f"{len(report['allowed'])} (action, resource) pairs allowed, by "
             f"{len({a['sid'] for a in report['allowed']})} statements of the operator policy.", "",
             "| action | resource | allowed by |", "|---|---|---|"]
    lines += [f"| {a['action']} | {a['resource']} | {a['sid']} |" for a in report["allowed"]]
    if report["refused"]:
        lines += ["", "## Refused", "", "| action | resource | why |", "|---|---|---|"]
        lines += [f"| {r['action']} | {r['resource']} | {r['why']} |" for r in report["refused"]]
    if report["unevaluated"]:
        lines += ["", "## Not evaluated (the gate does not know what they touch)", ""]
        lines += [f"- {a}" for a in report["unevaluated"]]
    lines += ["", "## Statements that allowed nothing (candidates for removal)", ""]
    lines += [f"- {s}" for s in report["allowed_nothing"]] or ["- none"]
    return "\n".join(lines) + "\n"


def summary(report: dict[str, Any]) -> str:
    """One line for the run's progress."""
    nothing = ", ".join(report["allowed_nothing"]) or "none"
    return (f"permissions: {len(report['allowed'])} (action, resource) pairs allowed by "
            f"{len({a['sid'] for a in report['allowed']})} statements, {len(report['refused'])} refused; "
            f"statements that allowed nothing: {nothing}")


def write(account: str, out: Path, state: Path | None = None) -> dict[str, Any]:
    """Build the report of ``account`` (the operator's policies read from the emulator's IAM) and write
    it to ``out`` (Markdown) and beside it as JSON; returns it."""
    from .. import stack
    from .account import OPERATOR, admin_client, principal
    from .authorize import policies_of

    iam = admin_client(stack.aws_endpoint(state), account, "iam")
    identity, _ = policies_of(iam, principal(account, OPERATOR))
    report = build(read(account, state), identity)
    out.write_text(text(report))
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    return report


# docs/redshift.md's table of what each statement of the operator policy is for and what it allowed, generated
# from the permissions reports of the four rehearsed ways to run (tests/test_whole_runs.py checks it; with
# REFRESH_DOCS=1 that test rewrites it: `make permissions-doc`).
DOCS_START = "<!-- statements: generated from the rehearsals' permissions reports (make permissions-doc) -->"
DOCS_END = "<!-- end of the generated statements -->"


def statements_table(reports: dict[str, dict[str, Any]]) -> str:
    """Markdown: each rule of the operator policy (:data:`sparkify_nb.iam.scopes.RULES`, in order), what it
    is for (its ``why``), the actions it allowed in the rehearsals of ``reports`` (way -> report) and in
    which ways; a rule no rehearsal's policy held or that allowed nothing says so."""
    from ...iam import scopes

    used: dict[str, dict[str, set[str]]] = {}
    for way, report in reports.items():
        for pair in report["allowed"]:
            used.setdefault(pair["sid"], {}).setdefault(pair["action"], set()).add(way)
    every = set(reports)
    held = {sid for report in reports.values() for sid in report["allowed_nothing"]} | set(used)
    lines = [DOCS_START, "", f"The rehearsals: {'; '.join(sorted(every))}. An action allowed in only some of them "
             "names them.", "", "| statement | what it is for | what it allowed in the rehearsals |", "|---|---|---|"]
    for rule in scopes.RULES:
        if rule.effect != "Allow":
            continue
        if rule.sid in used:
            allowed = "; ".join(f"`{action}`" + ("" if ways == every else f" ({', '.join(sorted(ways))})")
                                for action, ways in sorted(used[rule.sid].items()))
        elif rule.sid in held:
            allowed = "nothing (in these four runs: 01 -> 04 -> 99, no pause schedule or guardrail)"
        else:
            allowed = "not in these runs' policy (a setting adds it)"
        lines.append(f"| {rule.sid} | {rule.why.replace('|', '/')} | {allowed} |")
    return "\n".join(lines + ["", DOCS_END])


def docs_with(table: str, docs: str) -> str:
    """``docs`` with its generated block replaced by ``table`` (the markers included in both)."""
    start, end = docs.index(DOCS_START), docs.index(DOCS_END) + len(DOCS_END)
    return docs[:start] + table + docs[end:]


__all__ = ["DOCS_END", "DOCS_START", "NAME", "build", "docs_with", "read", "statements_table", "summary", "text",
           "write"]
