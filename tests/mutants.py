"""Mutation testing of one room: ``make mutants PKG=sparkify_nb/local/rehearsal`` (or a module, a
SQL folder or file of a room, see tests/mutation_rooms.py), ``python -m tests.mutants PKG``.

1. The work tree (tracked files and new ones git does not ignore) is copied to a scratch folder:
   mutants are written there, never into your files, and a run can go on while you edit.
2. Baseline: each test module of the room runs once, unmutated, under coverage with one context per
   TEST (tests/mutants_context.py), in every process of the run: the rehearsal's endpoint and the AWS
   emulator (with its IAM gate) are server processes, which an in-process tool cannot see. It must
   pass; it gives each test's duration and the lines (and SQL files) each test executed. A line run
   outside any test (at import, at a server's start, by a process that did not answer) counts for
   every test of the module that ran it.
3. Mutants: Python files by cosmic-ray's operators (:data:`OPERATORS`: comparisons negated and
   moved across their boundary, ``and``/``or``, ``not`` added or removed, ``True``/``False``,
   numbers off by one, loops run zero times, ``+``/``-``, exceptions and decorators replaced);
   SQL files by tests/sql_mutants.py. Each mutant is written into the copy and only the test
   functions that executed its line run, ``pytest -x`` with their node ids, fastest first (grouped
   by module). A test failure kills it, and so does a run over 3x those tests' baseline time. A kill
   by a test that was not the first to run is checked once: that test alone, unmutated, must pass
   (else the mutant is run again against the whole modules). A mutant on a line no test executes
   survives without a run ("not reached").
4. Report: killed / survived / not reached / equivalent (:data:`tests.mutation_rooms.EQUIVALENT`) per
   file and for the room, the time per mutant, every survivor (file, line, what changed), printed and
   written to ``.sparkify/mutants/<PKG>.md``. ``--sample N --seed S`` runs N mutants drawn uniformly
   (reproducibly) from the room and gives the score with its 95 % (Wilson) interval.

Options: ``--list`` prints the mutants without running any; ``--max N`` runs the first N (a
quick check that the machinery works); ``--tests a.py,b.py`` overrides the room's test modules;
``--lines A-B`` keeps the mutants of lines A to B (the rules a change touched, in a module too large to
mutate whole in the time there is); ``--sample N --seed S`` as above.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tests import sql_mutants
from tests.mutants_context import CONTEXT_ENV, SITECUSTOMIZE
from tests.mutants_report import Result, report, revision
from conftest import SHARED_STACK_ENV
from tests.mutation_rooms import EQUIVALENT, ROOT, select

OPERATORS = re.compile(r"core/(ReplaceComparisonOperator_(Eq_NotEq|NotEq_Eq|Lt_LtE|Lt_GtE|LtE_Lt|LtE_Gt|Gt_GtE"
                       r"|Gt_LtE|GtE_Gt|GtE_Lt|Is_IsNot|IsNot_Is)|ReplaceBinaryOperator_(Add_Sub|Sub_Add|Mul_Div"
                       r"|Div_Mul|FloorDiv_Mul|Mod_FloorDiv|BitOr_BitAnd|BitAnd_BitOr)|ReplaceUnaryOperator_"
                       r"(USub_UAdd|Delete_Not)|AddNot|ReplaceAndWithOr|ReplaceOrWithAnd|ReplaceTrueWithFalse"
                       r"|ReplaceFalseWithTrue|NumberReplacer|ZeroIterationForLoop|ReplaceBreakWithContinue"
                       r"|ReplaceContinueWithBreak|ExceptionReplacer|RemoveDecorator)$")
PYTEST = ("-m", "pytest", "-x", "-q", "-rfE", "-p", "no:xdist", "-p", "no:cacheprovider", "--no-header")
KILLED_EXIT = (1, 2, 3)  # tests failed; interrupted (a collection error: the module does not import); internal error
TIMEOUT_FACTOR = 3
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?: - |$)", re.MULTILINE)


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
    """One test module's baseline run."""
    seconds: float  # the whole run (pytest's start and the stack's processes included)
    tests: dict[str, float]  # node id -> seconds (setup + call + teardown), in run order
    lines: dict[tuple[Path, int], set[str]] = field(default_factory=dict)  # (file, line) -> node ids, "" outside
    opened: dict[Path, set[str]] = field(default_factory=dict)  # SQL file -> node ids that read it, "" outside
    emulator: set[Path] = field(default_factory=set)  # mutated files the AWS emulator's process executed

    def file_tests(self, file: Path) -> set[str]:
        """The tests that executed a line of ``file`` (read it, for SQL)."""
        if file.suffix == ".sql":
            return self.opened.get(file, set()) & set(self.tests)
        return {i for (f, _), labels in self.lines.items() if f == file for i in labels} & set(self.tests)

    @property
    def start_seconds(self) -> float:
        return max(self.seconds - sum(self.tests.values()), 0.0)


def scratch_copy() -> Path:
    """The work tree (what git tracks plus new files it does not ignore) in a new scratch folder."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    scratch = Path(tempfile.mkdtemp(prefix="spk-mut-"))
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / name)
    (scratch / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
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


def _record(stack: Path) -> dict:
    record = stack / "state" / "local" / "stack.json"
    return json.loads(record.read_text()) if record.is_file() else {}


def _stop(stack: Path, name: str) -> None:
    """Stop the stack's ``data_api`` (the rehearsal's endpoint) or ``emulator`` process, if it runs: the
    next test run starts it again (conftest's ``local.up()``), from the code then on disk, mutant included.
    The emulator's rehearsal accounts lived in its memory: their records go with it, as on ``local down``."""
    import psutil

    proc_record = _record(stack).get(name, {})
    try:
        proc = psutil.Process(proc_record["pid"])
        if abs(proc.create_time() - proc_record["create_time"]) > 1:
            return
        proc.terminate()
        proc.wait(10)
    except (KeyError, psutil.NoSuchProcess):
        return
    except psutil.TimeoutExpired:
        proc.kill()
    finally:
        if name == "emulator":
            shutil.rmtree(stack / "state" / "local" / "accounts", ignore_errors=True)


def baseline(scratch: Path, stack: Path, tests: list[str], files: list[Path]) -> dict[str, Baseline]:
    """Each test module run once under coverage, a context per test; raises SystemExit naming a module
    that fails unmutated."""
    out, cov_root = {}, scratch / ".mutants-coverage"
    python_files = [f for f in files if f.suffix == ".py"]
    for n, test in enumerate(tests):
        folder = cov_root / str(n)
        folder.mkdir(parents=True)
        rc = folder / "rc"
        rc.write_text("[run]\nparallel = True\ninclude =\n" + "".join(f"    {scratch / f}\n" for f in python_files))
        env = _env(scratch, stack, COVERAGE_PROCESS_START=str(rc), COVERAGE_FILE=str(folder / ".coverage"),
                   **{CONTEXT_ENV: str(folder)})
        for name in ("data_api", "emulator"):
            _stop(stack, name)  # started again by the tests, under coverage
        started = time.monotonic()
        done = subprocess.run([sys.executable, *PYTEST, "-p", "tests.mutants_context", test],
                              cwd=scratch, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        emulator_pid = _record(stack).get("emulator", {}).get("pid")
        for name in ("data_api", "emulator"):
            _stop(stack, name)  # they write what they executed as they exit
        if done.returncode != 0:
            raise SystemExit(f"{test} fails without any mutant (exit {done.returncode}); fix it first:\n"
                             + (done.stdout + done.stderr)[-3000:])
        durations = json.loads((folder / "durations.json").read_text())
        base = Baseline(seconds, durations)
        _read_coverage(base, folder, scratch, python_files, emulator_pid)
        _read_opened(base, folder, scratch)
        out[test] = base
        deaf = _deaf(folder)
        outside = sum("" in labels for labels in base.lines.values())
        print(f"  baseline {test}: {seconds:.0f} s, {len(durations)} tests; {len(base.lines)} lines reached, "
              f"{outside} of them outside any test (module-wide), {len(base.emulator)} files in the emulator"
              + (f" ({len(deaf)} processes did not answer a context switch: module-wide)" if deaf else ""),
              flush=True)
    return out


def _deaf(folder: Path) -> set[str]:
    """The pids of the processes that did not switch back to "no test" (tests/mutants_context.py)."""
    log = folder / "deaf.txt"
    return {line.split()[0] for line in log.read_text().splitlines() if line.strip()} if log.is_file() else set()


def _read_coverage(base: Baseline, folder: Path, scratch: Path, files: list[Path], emulator_pid: int | None) -> None:
    """Each process's data file on its own: the lines of a process that did not acknowledge a context
    switch (``deaf.txt``) count outside any test."""
    from coverage import CoverageData

    deaf = _deaf(folder)
    for data_file in folder.glob(".coverage.*"):
        pid = (re.search(r"\.pid(\d+)\.", data_file.name) or [None, ""])[1]
        data = CoverageData(basename=str(data_file))
        data.read()
        for f in files:
            by_line = data.contexts_by_lineno(str(scratch / f))
            if by_line and pid == str(emulator_pid):
                base.emulator.add(f)
            for line, contexts in by_line.items():
                base.lines.setdefault((f, line), set()).update([""] if pid in deaf else contexts)


def _read_opened(base: Baseline, folder: Path, scratch: Path) -> None:
    log = folder / "opened.txt"
    for entry in (log.read_text(encoding="utf-8").splitlines() if log.is_file() else []):
        label, _, name = entry.partition("\t")
        try:
            path = Path(name).resolve().relative_to(scratch.resolve())
        except ValueError:
            continue  # not one of the copy's files
        base.opened.setdefault(path, set()).add(label)


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
        lazy_annotations = "from __future__ import annotations" in source
        for name in kept:
            operator = get_operator(name)()
            starts = [(start, node) for node in nodes for start, _ in operator.mutation_positions(node)]
            for occurrence, ((line, _), node) in enumerate(starts):
                if lazy_annotations and _in_annotation(node):
                    continue  # never evaluated: `from __future__ import annotations`, and no get_type_hints

                try:
                    mutated = mutate_code(source, operator, occurrence)
                except Exception as exc:  # an operator that cannot handle a construct: said, not hidden
                    print(f"  (cosmic-ray {name} fails at {f}:{line}: {type(exc).__name__}; no mutant)")
                    continue
                if mutated is None:
                    continue
                new = mutated.splitlines()
                # a removed line (a decorator) names itself, so that EQUIVALENT can tell one from another
                after = new[line - 1] if len(new) == len(old) else f"(removed) {old[line - 1].strip()}"
                found.append(Mutant(f, line, name.removeprefix("core/"), old[line - 1].strip(), after.strip(),
                                    mutated))
    return sorted(found, key=lambda m: (str(m.file), m.line, m.kind))


def _in_annotation(node) -> bool:
    """Whether a parso node lies in an annotation: a parameter's, a return's or a variable's."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "tfpdef" and parent.children.index(child) >= 2:
            return True
        if parent.type == "annassign" and parent.children.index(child) == 1:
            return True
        if parent.type == "funcdef":
            previous = child.get_previous_sibling()
            return previous is not None and getattr(previous, "value", "") == "->"
        child, parent = parent, parent.parent
    return False


def sql_mutants_of(scratch: Path, files: list[Path]) -> list[Mutant]:
    out = []
    for f in files:
        text = (scratch / f).read_text(encoding="utf-8")
        out += [Mutant(f, m.line, m.kind, " ".join(m.original.split()), m.replacement, m.apply(text))
                for m in sql_mutants.mutants(text)]
    return out


@dataclass(frozen=True)
class Lines:
    """Where a line of a Python file sits: the first line of its innermost statement (coverage records
    that one for a statement over several lines), and whether it runs when the module is imported (a
    module's or a class's statement, a def's decorators and defaults: whichever test first imported
    the module ran it, for all the others)."""
    first: dict[int, int]
    at_import: set[int]

    @classmethod
    def of(cls, source: str) -> "Lines":
        import ast

        first: dict[int, tuple[int, int]] = {}  # line -> (start of its innermost statement, that start)
        at_import: set[int] = set()

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    body = getattr(child, "body", None)
                    start = min([child.lineno] + [d.lineno for d in getattr(child, "decorator_list", [])])
                    header_end = (body[0].lineno - 1 if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                            ast.ClassDef)) and body
                                  else child.end_lineno)
                    for line in range(start, (child.end_lineno or child.lineno) + 1):
                        if line not in first or first[line][0] <= start:
                            first[line] = (start, child.lineno)
                    if not in_function:
                        at_import.update(range(start, (header_end or child.lineno) + 1))
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(ast.parse(source), False)
        return cls({line: lineno for line, (_, lineno) in first.items()}, at_import)


def tests_for(mutant: Mutant, base: dict[str, Baseline], whole: set[str] = frozenset(),
              lines: Lines | None = None) -> list[str]:
    """The node ids of the tests that executed the mutant's line (that read its file, for SQL), fastest first,
    the tests of one module together. A module that ran the line outside any test (at import, at a server's
    start), or whose tests in ``whole`` ran it, adds all its tests: after the tests that executed any line of
    the mutant's file, which are the likeliest to fail."""
    direct: dict[str, float] = {}
    rest: dict[str, float] = {}
    for b in base.values():
        if mutant.file.suffix == ".sql":  # read once and cached, by whichever test came first: module-wide
            labels = b.opened.get(mutant.file, set())
            labels = labels | {""} if labels else labels
        else:
            where = {mutant.line, lines.first.get(mutant.line, mutant.line)} if lines else {mutant.line}
            labels = set().union(*(b.lines.get((mutant.file, n), set()) for n in where))
            if labels and lines and mutant.line in lines.at_import:
                labels.add("")
        direct.update((i, b.tests[i]) for i in labels & set(b.tests))
        if "" in labels or labels & whole:
            file_tests = b.file_tests(mutant.file)
            direct.update((i, b.tests[i]) for i in file_tests)
            rest.update((i, b.tests[i]) for i in set(b.tests) - file_tests)
    return _fastest_first(direct) + _fastest_first({i: s for i, s in rest.items() if i not in direct})


def _fastest_first(tests: dict[str, float]) -> list[str]:
    """Fastest first, the tests of one module together (modules in the order of their fastest test)."""
    fastest = sorted(tests, key=lambda i: (tests[i], i))
    first: dict[str, int] = {}
    for i in fastest:
        first.setdefault(_module(i), len(first))
    return sorted(fastest, key=lambda i: first[_module(i)])


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@dataclass
class Runner:
    """Runs mutants' tests in the copy, on the run's one stack."""
    scratch: Path
    stack: Path
    base: dict[str, Baseline]
    lines: dict[Path, Lines] = field(default_factory=dict)  # per mutated Python file
    alone_passes: dict[str, bool] = field(default_factory=dict)  # a killing test, run alone unmutated
    whole: set[str] = field(default_factory=set)  # tests that fail alone: their modules run whole

    def timeout(self, tests: list[str]) -> float:
        modules = {_module(t) for t in tests}
        start = max((self.base[m].start_seconds for m in modules if m in self.base), default=10.0)
        return TIMEOUT_FACTOR * (start + sum(self.base[_module(t)].tests[t] for t in tests))

    def pytest(self, tests: list[str], timeout_s: float) -> tuple[str, str]:
        """(``killed`` / ``survived`` / ``error``, the failing node id or why)."""
        try:
            done = subprocess.run([sys.executable, *PYTEST, *tests], cwd=self.scratch,
                                  env=_env(self.scratch, self.stack), capture_output=True, text=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return "killed", f"timeout after {timeout_s:.0f} s"
        if done.returncode == 0:
            return "survived", ""
        if done.returncode in KILLED_EXIT or (done.returncode == 4 and "while loading conftest" in done.stdout + done.stderr):
            # (4: conftest.py, which imports the package, cannot import the mutated module: every test fails)
            failed = _FAILED.search(done.stdout)
            return "killed", failed[1] if failed else f"exit {done.returncode}"
        return "error", f"pytest exit {done.returncode}: {(done.stdout + done.stderr).strip()[-300:]}"

    def run(self, mutant: Mutant, emulator: bool) -> Result:
        """The mutant written into the copy while the tests that reach it run, then undone."""
        if mutant.file.suffix == ".py" and mutant.file not in self.lines:
            self.lines[mutant.file] = Lines.of((self.scratch / mutant.file).read_text(encoding="utf-8"))
        tests = tests_for(mutant, self.base, self.whole, self.lines.get(mutant.file))
        if not tests:
            return Result(mutant, "not reached", "", 0.0, 0)
        started = time.monotonic()
        outcome, why = self._mutated(mutant, tests, emulator)
        if outcome == "killed" and why.startswith("tests/") and why != tests[0]:
            if why not in self.alone_passes:  # a kill by a test that ran after others: does it pass alone?
                self.alone_passes[why] = self.pytest([why], self.timeout([why]))[0] == "survived"
            if not self.alone_passes[why]:
                self.whole.add(why)
                tests = tests_for(mutant, self.base, self.whole, self.lines.get(mutant.file))
                outcome, why = self._mutated(mutant, tests, emulator)
        return Result(mutant, outcome, why, time.monotonic() - started, len(tests))

    def _mutated(self, mutant: Mutant, tests: list[str], emulator: bool) -> tuple[str, str]:
        path = self.scratch / mutant.file
        original = path.read_text(encoding="utf-8")
        path.write_text(mutant.mutated, encoding="utf-8")
        servers = ("data_api", "emulator") if emulator else ("data_api",)
        for name in servers:
            _stop(self.stack, name)
        try:
            return self.pytest(tests, self.timeout(tests))
        finally:
            path.write_text(original, encoding="utf-8")
            for name in servers:
                _stop(self.stack, name)


def equivalent(mutant: Mutant) -> bool:
    """In :data:`EQUIVALENT` by the mutated line (Python) or replacement (SQL), or, for a SQL mutant, by
    ``"<original> -> <replacement>"``: a dropped predicate named by its own text, not every one of its file."""
    file = str(mutant.file)
    return (file, mutant.kind, mutant.after) in EQUIVALENT or (
        mutant.file.suffix == ".sql" and (file, mutant.kind, f"{mutant.before} -> {mutant.after}") in EQUIVALENT)


def _unreached(runner: Runner, found: list[Mutant]) -> int:
    """Print the mutants (not in EQUIVALENT) whose line no test of the baseline executed: each one survives."""
    left = []
    for mutant in found:
        if mutant.file.suffix == ".py" and mutant.file not in runner.lines:
            runner.lines[mutant.file] = Lines.of((runner.scratch / mutant.file).read_text(encoding="utf-8"))
        if not tests_for(mutant, runner.base, runner.whole, runner.lines.get(mutant.file)) and not equivalent(mutant):
            left.append(mutant)
    print(f"{len(left)} of {len(found)} mutants reached by no test:")
    print("\n".join(m.describe() for m in left))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mutants PKG=...", description=__doc__.split("\n\n")[0])
    parser.add_argument("pkg", help="a room's folder, module or SQL file (tests/mutation_rooms.py)")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--max", type=int, default=0, help="run only the first N mutants")
    parser.add_argument("--tests", default="", help="comma-separated test modules instead of the room's")
    parser.add_argument("--lines", default="", help="A-B: only the mutants of lines A to B")
    parser.add_argument("--sample", type=int, default=0, help="run N mutants drawn uniformly from those selected")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed (the same seed, the same mutants)")
    parser.add_argument("--unreached", action="store_true",
                        help="run the baseline only and list the mutants no test reaches (certain survivors)")
    args = parser.parse_args(argv)
    room, files = select(args.pkg)
    tests = args.tests.split(",") if args.tests else list(room.tests)
    commit, when = revision(), datetime.now(timezone.utc)
    scratch = scratch_copy()
    stack = Path(tempfile.mkdtemp(prefix="spk-mst-"))  # short: PostgreSQL's socket path has a length limit
    try:
        found = python_mutants(scratch, [f for f in files if f.suffix == ".py"]) + sql_mutants_of(
            scratch, [f for f in files if f.suffix == ".sql"])
        if args.lines:
            first, last = (int(n) for n in args.lines.split("-"))
            found = [m for m in found if first <= m.line <= last]
        population = len(found)
        if args.sample and args.sample < population:
            picked = set(random.Random(args.seed).sample(range(population), args.sample))
            found = [m for n, m in enumerate(found) if n in picked]
        if args.max:
            found = found[:args.max]
        sample = f"sample of {len(found)} of {population} mutants, seed {args.seed}" if len(found) < population \
            and args.sample else ""
        print(f"{args.pkg}: room {room.name!r}, {len(files)} files, {len(found)} mutants"
              f"{' (' + sample + ')' if sample else ''}; tests: {', '.join(tests)}")
        if args.list:
            print("\n".join(m.describe() for m in found))
            return 0
        started, load = time.monotonic(), os.getloadavg()[0]
        _stack(scratch, stack, "up")  # PostgreSQL and the emulator, shared by every run; restarted per mutant
        base = baseline(scratch, stack, tests, files)
        baseline_s = time.monotonic() - started
        runner, results = Runner(scratch, stack, base), []
        if args.unreached:
            return _unreached(runner, found)
        for n, mutant in enumerate(found, 1):
            result = runner.run(mutant, emulator=any(mutant.file in b.emulator for b in base.values()))
            if equivalent(mutant) and result.outcome in ("survived", "not reached"):
                result.outcome = "equivalent"
            results.append(result)
            print(f"  [{n}/{len(found)}] {result.outcome:<11} {result.seconds:5.1f} s {result.tests:3} tests "
                  f"{mutant.describe()}{'  <- ' + result.why if result.why else ''}", flush=True)
        text = report(room, args.pkg, results, population, sample, baseline_s, time.monotonic() - started,
                      (load, os.getloadavg()[0]), " ".join(sys.argv[1:] if argv is None else argv), commit, when)
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
