"""Mutation testing of one room: ``make mutants PKG=sparkify_nb/local/rehearsal`` (or a module, a
SQL folder or file of a room, see tests/mutation_rooms.py), ``python -m tests.mutants PKG``.

1. The work tree (tracked files and new ones git does not ignore) is copied to a scratch folder:
   mutants are written there, never into your files, and a run can go on while you edit.
2. Baseline: each test module of the room runs once, unmutated, under coverage (the local
   stack's own processes included: the rehearsal's endpoint is a server process, which an
   in-process tool cannot see). It must pass; what each module executes decides which modules
   run against a mutant.
3. Mutants: Python files by cosmic-ray's operators (:data:`OPERATORS`: comparisons negated and
   moved across their boundary, ``and``/``or``, ``not`` added or removed, ``True``/``False``,
   numbers off by one, loops run zero times, ``+``/``-``, exceptions and decorators replaced);
   SQL files by tests/sql_mutants.py. Each mutant is written into the copy and the test modules
   that execute its line run (``pytest -x``, fastest first): a failure kills it. A mutant on a
   line no test module executes survives without a run ("not reached").
4. Report: killed / survived / equivalent (:data:`tests.mutation_rooms.EQUIVALENT`) per file and
   for the room, and every survivor (file, line, what changed), printed and written to
   ``.sparkify/mutants/<room>.md``.

Options: ``--list`` prints the mutants without running any; ``--max N`` runs the first N (a
quick check that the machinery works); ``--tests a.py,b.py`` overrides the room's test modules;
``--lines A-B`` keeps the mutants of lines A to B (the rules a change touched, in a module too large to
mutate whole in the time there is).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tests import sql_mutants
from conftest import SHARED_STACK_ENV
from tests.mutation_rooms import EQUIVALENT, ROOT, Room, select

OPERATORS = re.compile(r"core/(ReplaceComparisonOperator_(Eq_NotEq|NotEq_Eq|Lt_LtE|Lt_GtE|LtE_Lt|LtE_Gt|Gt_GtE"
                       r"|Gt_LtE|GtE_Gt|GtE_Lt|Is_IsNot|IsNot_Is)|ReplaceBinaryOperator_(Add_Sub|Sub_Add|Mul_Div"
                       r"|Div_Mul|FloorDiv_Mul|Mod_FloorDiv|BitOr_BitAnd|BitAnd_BitOr)|ReplaceUnaryOperator_"
                       r"(USub_UAdd|Delete_Not)|AddNot|ReplaceAndWithOr|ReplaceOrWithAnd|ReplaceTrueWithFalse"
                       r"|ReplaceFalseWithTrue|NumberReplacer|ZeroIterationForLoop|ReplaceBreakWithContinue"
                       r"|ReplaceContinueWithBreak|ExceptionReplacer|RemoveDecorator)$")
PYTEST = ("-m", "pytest", "-x", "-q", "-p", "no:xdist", "--no-header")


@dataclass(frozen=True)
class Mutant:
    file: Path  # relative to the project root
    line: int
    kind: str  # cosmic-ray's operator name, or a SQL mutant's kind
    before: str
    after: str
    mutated: str  # the whole file, mutated

    def describe(self) -> str:
        return f"{self.file}:{self.line} {self.kind}: {self.before!r} -> {self.after!r}"


@dataclass
class Baseline:
    seconds: float
    lines: dict[Path, set[int]]  # per mutated Python file, the lines this test module executes
    opened: set[Path]  # the SQL files it read (relative to the project root)


OPENED_ENV = "MUTANTS_OPENED_LOG"  # not SPARKIFY_*: conftest drops those before it starts the stack
# Written into the copy as sitecustomize.py (the copy is first on PYTHONPATH, so every process of a baseline run,
# the stack's servers included, imports it): records each .sql file a process opens.
SITECUSTOMIZE = """import os, sys
_log = os.environ.get("%s")
if _log:
    def _opened(event, args, _log=_log):
        name = os.fspath(args[0]) if event == "open" and isinstance(args[0], (str, os.PathLike)) else ""
        if isinstance(name, str) and name.endswith(".sql"):
            with open(_log, "a", encoding="utf-8") as out:
                out.write(os.path.abspath(name) + "\\n")
    sys.addaudithook(_opened)
""" % OPENED_ENV


def scratch_copy() -> Path:
    """The work tree (what git tracks plus new files it does not ignore) in a new scratch folder."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    scratch = Path(tempfile.mkdtemp(prefix="spk-mut-"))
    (scratch / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / name)
    return scratch


def _env(scratch: Path, stack: Path, **extra: str) -> dict[str, str]:
    # the copy first on the path: the editable install's finder comes after it (in the endpoint's process too)
    return {**os.environ, "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1", SHARED_STACK_ENV: str(stack),
            **extra}


def _stack(scratch: Path, stack: Path, action: str) -> None:
    """Start (``up``) or stop (``down``) the run's one local stack, from the copy's code."""
    code = f"from pathlib import Path; from sparkify_nb.local import stack; stack.{action}(Path({str(stack)!r}) / 'state')"
    subprocess.run([sys.executable, "-c", code], cwd=scratch, env=_env(scratch, stack), check=action == "up",
                   capture_output=True)


def _stop_endpoint(stack: Path) -> None:
    """Stop the rehearsal's Data API endpoint of the run's stack, if it runs: the next test run starts it
    again (conftest's ``local.up()``), from the code then on disk, mutant included."""
    import psutil

    record = stack / "state" / "local" / "stack.json"
    api = json.loads(record.read_text()).get("data_api", {}) if record.is_file() else {}
    try:
        proc = psutil.Process(api["pid"])
        if abs(proc.create_time() - api["create_time"]) > 1:
            return
        proc.terminate()
        proc.wait(10)
    except (KeyError, psutil.NoSuchProcess):
        return
    except psutil.TimeoutExpired:
        proc.kill()


def baseline(scratch: Path, stack: Path, tests: list[str], files: list[Path]) -> dict[str, Baseline]:
    """Each test module run once under coverage; raises SystemExit naming a module that fails unmutated."""
    out, cov_root = {}, scratch / ".mutants-coverage"
    python_files = [f for f in files if f.suffix == ".py"]
    for n, test in enumerate(tests):
        folder = cov_root / str(n)
        folder.mkdir(parents=True)
        rc = folder / "rc"
        rc.write_text("[run]\nparallel = True\ninclude =\n" + "".join(f"    {scratch / f}\n" for f in python_files))
        env = _env(scratch, stack, COVERAGE_PROCESS_START=str(rc), COVERAGE_FILE=str(folder / ".coverage"),
                   **{OPENED_ENV: str(folder / "opened.txt")})
        _stop_endpoint(stack)  # started again by the tests, under coverage
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", *PYTEST, test],
                              cwd=scratch, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        _stop_endpoint(stack)  # it writes what it executed as it exits
        if done.returncode != 0:
            raise SystemExit(f"{test} fails without any mutant (exit {done.returncode}); fix it first:\n"
                             + (done.stdout + done.stderr)[-3000:])
        opened = (folder / "opened.txt").read_text().split("\n") if (folder / "opened.txt").is_file() else []
        out[test] = Baseline(seconds, _lines(folder, rc, scratch, python_files), _relative(opened, scratch))
        print(f"  baseline {test}: {seconds:.0f} s", flush=True)
    return out


def _relative(opened: list[str], scratch: Path) -> set[Path]:
    found = set()
    for name in filter(None, opened):
        path = Path(name) if Path(name).is_absolute() else scratch / name
        try:
            found.add(path.resolve().relative_to(scratch.resolve()))
        except ValueError:
            continue  # not one of the copy's files
    return found


def _lines(folder: Path, rc: Path, scratch: Path, files: list[Path]) -> dict[Path, set[int]]:
    import coverage

    cov = coverage.Coverage(data_file=str(folder / ".coverage"), config_file=str(rc))
    cov.combine([str(folder)], keep=True)
    data = cov.get_data()
    return {f: set(data.lines(str(scratch / f)) or ()) for f in files}


def python_mutants(scratch: Path, files: list[Path]) -> list[Mutant]:
    """cosmic-ray's mutants of ``files`` (in the copy) with the operators :data:`OPERATORS` keeps
    (enumerated operator by operator as ``cosmic-ray init`` does, without the ~250 others)."""
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator, operator_names

    found = []
    kept = [name for name in operator_names() if OPERATORS.match(name)]
    for f in files:
        source = (scratch / f).read_text(encoding="utf-8")
        old = source.splitlines()
        nodes = list(ast_nodes(get_ast(source)))
        for name in kept:
            operator = get_operator(name)()
            starts = [start for node in nodes for start, _ in operator.mutation_positions(node)]
            for occurrence, (line, _) in enumerate(starts):
                try:
                    mutated = mutate_code(source, operator, occurrence)
                except Exception as exc:  # an operator that cannot handle a construct: said, not hidden
                    print(f"  (cosmic-ray {name} fails at {f}:{line}: {type(exc).__name__}; no mutant)")
                    continue
                if mutated is None:
                    continue
                new = mutated.splitlines()
                after = new[line - 1] if len(new) == len(old) else "(lines changed)"
                found.append(Mutant(f, line, name.removeprefix("core/"), old[line - 1].strip(), after.strip(),
                                    mutated))
    return sorted(found, key=lambda m: (str(m.file), m.line, m.kind))


def sql_mutants_of(scratch: Path, files: list[Path]) -> list[Mutant]:
    out = []
    for f in files:
        text = (scratch / f).read_text(encoding="utf-8")
        out += [Mutant(f, m.line, m.kind, " ".join(m.original.split()), m.replacement, m.apply(text))
                for m in sql_mutants.mutants(text)]
    return out


def tests_for(mutant: Mutant, base: dict[str, Baseline]) -> list[str]:
    """The test modules that execute the mutant's line (that read its file, for SQL), fastest first."""
    reach = [t for t, b in base.items()
             if (mutant.file in b.opened if mutant.file.suffix == ".sql" else mutant.line in b.lines.get(mutant.file, ()))]
    return sorted(reach, key=lambda t: base[t].seconds)


def run_mutant(scratch: Path, stack: Path, mutant: Mutant, tests: list[str], timeout_s: float) -> str:
    """``killed`` or ``survived``: the mutant written into the copy while ``tests`` run, then undone."""
    path = scratch / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(mutant.mutated, encoding="utf-8")
    _stop_endpoint(stack)
    try:
        done = subprocess.run([sys.executable, *PYTEST, *tests], cwd=scratch, env=_env(scratch, stack),
                              capture_output=True, text=True, timeout=timeout_s)
        return "survived" if done.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        return "killed"  # the tests hang on it: noticed
    finally:
        path.write_text(original, encoding="utf-8")
        _stop_endpoint(stack)


def outcome(mutant: Mutant, result: str) -> str:
    if result in ("survived", "not reached") and (str(mutant.file), mutant.kind, mutant.after) in EQUIVALENT:
        return "equivalent"
    return result


def report(room: Room, pkg: str, results: list[tuple[Mutant, str]], seconds: float) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Mutants of {pkg} (room: {room.name}), {when}, commit {commit}{' + changes' if dirty else ''}", "",
             "| file | mutants | killed | survived | not reached | equivalent | score |", "|---|---|---|---|---|---|---|"]
    for f in sorted({str(m.file) for m, _ in results}) + ["all"]:
        mine = [r for m, r in results if f in ("all", str(m.file))]
        lines.append(f"| {f} | {len(mine)} | " + " | ".join(
            str(mine.count(k)) for k in ("killed", "survived", "not reached", "equivalent")) + f" | {_score(mine)} |")
    survivors = [(m, r) for m, r in results if r in ("survived", "not reached")]
    lines += ["", f"Target {room.target:.0%} of non-equivalent mutants killed; {len(results)} mutants in "
                  f"{seconds / 60:.1f} min.", "", "## Survivors", ""]
    lines += [f"- {m.describe()}{' (no test reaches the line)' if r == 'not reached' else ''}" for m, r in survivors]
    return "\n".join(lines) + "\n"


def _score(outcomes: list[str]) -> str:
    counted = [o for o in outcomes if o != "equivalent"]
    return f"{outcomes.count('killed') / len(counted):.0%}" if counted else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mutants PKG=...", description=__doc__.split("\n\n")[0])
    parser.add_argument("pkg", help="a room's folder, module or SQL file (tests/mutation_rooms.py)")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--max", type=int, default=0, help="run only the first N mutants")
    parser.add_argument("--tests", default="", help="comma-separated test modules instead of the room's")
    parser.add_argument("--lines", default="", help="A-B: only the mutants of lines A to B")
    args = parser.parse_args(argv)
    room, files = select(args.pkg)
    tests = args.tests.split(",") if args.tests else list(room.tests)
    scratch = scratch_copy()
    stack = Path(tempfile.mkdtemp(prefix="spk-mst-"))  # short: PostgreSQL's socket path has a length limit
    try:
        found = python_mutants(scratch, [f for f in files if f.suffix == ".py"]) + sql_mutants_of(
            scratch, [f for f in files if f.suffix == ".sql"])
        if args.lines:
            first, last = (int(n) for n in args.lines.split("-"))
            found = [m for m in found if first <= m.line <= last]
        if args.max:
            found = found[:args.max]
        print(f"{args.pkg}: room {room.name!r}, {len(files)} files, {len(found)} mutants; tests: {', '.join(tests)}")
        if args.list:
            print("\n".join(m.describe() for m in found))
            return 0
        started = time.monotonic()
        _stack(scratch, stack, "up")  # PostgreSQL and the emulator, shared by every run; the endpoint per run
        base = baseline(scratch, stack, tests, files)
        results = []
        for n, mutant in enumerate(found, 1):
            chosen = tests_for(mutant, base)
            result = run_mutant(scratch, stack, mutant, chosen, 60 + 3 * sum(base[t].seconds for t in chosen)) \
                if chosen else "not reached"
            results.append((mutant, outcome(mutant, result)))
            print(f"  [{n}/{len(found)}] {results[-1][1]:<11} {mutant.describe()}", flush=True)
        text = report(room, args.pkg, results, time.monotonic() - started)
        out = ROOT / ".sparkify" / "mutants" / (re.sub(r"[^A-Za-z0-9]+", "-", args.pkg).strip("-") + ".md")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(text + f"\n(written to {out.relative_to(ROOT)})")
        return 0
    finally:
        _stack(scratch, stack, "down")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(stack, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
