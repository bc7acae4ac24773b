"""make mutants' configuration (tests/mutation_rooms.py) and its SQL mutator (tests/sql_mutants.py), checked
without running a mutant: every room issue 32 lists is mutated, every path and test module a room names exists,
and the SQL mutator makes each kind of mutant it promises, where it should and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import mutation_rooms, sql_mutants
from tests.mutation_rooms import ROOMS, ROOT

# Issue 32, item 2: the rooms that must have a score (a package, or the modules named of it).
LISTED = {
    "rehearsal endpoint": ["sparkify_nb/local/rehearsal"],
    "permissions documents": ["sparkify_nb/iam"],
    "infra": ["sparkify_nb/infra/controls.py", "sparkify_nb/infra/workbucket.py", "sparkify_nb/infra/logs.py",
              "sparkify_nb/infra/pause.py", "sparkify_nb/infra/roles.py"],
    "staging": ["sparkify_nb/staging/granted.py", "sparkify_nb/staging/load.py"],
    "warehouse": ["sparkify_nb/warehouse/data_api.py", "sparkify_nb/warehouse/sql/transform",
                  "sparkify_nb/warehouse/sql/quality"],
    "analytics": ["sparkify_nb/analytics/magic.py", "sparkify_nb/analytics/report.py", "sparkify_nb/display.py"],
}


@pytest.mark.parametrize("room,paths", LISTED.items(), ids=list(LISTED))
def test_every_room_the_issue_lists_is_mutated_in_full(room, paths):
    for path in paths:
        found, files = mutation_rooms.select(path)
        assert found.name == room, path
        on_disk = [p.relative_to(ROOT) for p in (ROOT / path).rglob("*") if p.suffix in (".py", ".sql")] \
            if (ROOT / path).is_dir() else [Path(path)]
        assert sorted(f for f in on_disk if f.name != "__main__.py") == files, path


def test_rooms_name_existing_code_and_test_modules_with_their_targets():
    for room in ROOMS:
        for pattern in room.paths:
            assert list(ROOT.glob(pattern)), f"{room.name}: {pattern} matches no file"
        for test in room.tests:
            assert (ROOT / test).is_file(), f"{room.name}: {test} does not exist"
        assert room.target == (0.95 if room.name in ("rehearsal endpoint", "permissions documents") else 0.85)


def test_a_rooms_name_selects_all_its_files_those_outside_its_folder_too():
    room, files = mutation_rooms.select("analytics")
    assert room.name == "analytics" and Path("sparkify_nb/display.py") in files and files == room.files()
    assert mutation_rooms.select("rehearsal-endpoint")[1] == mutation_rooms.select("sparkify_nb/local/rehearsal")[1]


def test_a_file_outside_every_room_is_refused_naming_the_rooms():
    with pytest.raises(mutation_rooms.UnknownRoom, match=r"PKG=sparkify_nb/datagen is in no room .*rehearsal endpoint"):
        mutation_rooms.select("sparkify_nb/datagen")


def test_every_equivalent_mutant_is_in_a_room_and_says_why():
    files = {str(f) for room in ROOMS for f in room.files()}
    for (file, kind, line), reason in mutation_rooms.EQUIVALENT.items():
        assert file in files and kind and line and len(reason) > 10, (file, kind, line)


def test_a_sql_mutant_is_equivalent_by_its_own_predicate_not_by_its_files_other_ones():
    from pathlib import Path

    from tests import mutants

    path = Path("sparkify_nb/analytics/sql/free_vs_paid.sql")
    made = mutants.sql_mutants_of(mutation_rooms.ROOT, [path])
    dropped = {m.before: mutants.equivalent(m) for m in made if m.kind == "drop predicate"}
    assert dropped["user_id IS NOT NULL"] and dropped["previous_level IS NOT NULL"]
    assert not dropped["user_id <> -1"] and not dropped["previous_level <> level"]


SAMPLE = """-- a comment with = and < and ORDER BY x ASC, never mutated
SELECT a, 'x < y AND z' AS s
FROM t JOIN u ON u.id = t.id
WHERE t.n < 3 AND (t.m >= 2 OR t.k <> 'AND') AND t.d BETWEEN 1 AND 5
ORDER BY a DESC, s;
"""


def _made(text: str) -> list[tuple[str, str, str]]:
    return [(m.kind, m.original, m.replacement) for m in sql_mutants.mutants(text)]


def test_the_sql_mutator_makes_every_kind_it_lists_on_a_sample():
    assert _made(SAMPLE) == [
        ("drop predicate", "u.id = t.id", "TRUE"),
        ("comparison", "=", "<>"),
        ("drop predicate", "t.n < 3", "TRUE"),
        ("comparison", "<", ">="),
        ("boundary", "<", "<="),
        ("and/or", "AND", "OR"),
        ("drop predicate", "(t.m >= 2 OR t.k <> 'AND')", "TRUE"),
        ("comparison", ">=", "<"),
        ("boundary", ">=", ">"),
        ("and/or", "OR", "AND"),
        ("drop predicate", "t.k <> 'AND'", "FALSE"),
        ("comparison", "<>", "="),
        ("and/or", "AND", "OR"),
        ("drop predicate", "t.d BETWEEN 1 AND 5", "TRUE"),
        ("order", "s", "s DESC"),
        ("order", "DESC", "ASC"),
    ]
    assert {kind for kind, _, _ in _made(SAMPLE)} == set(sql_mutants.KINDS)


def test_a_sql_mutant_changes_only_its_own_token_and_names_its_line():
    mutant = next(m for m in sql_mutants.mutants(SAMPLE) if m.kind == "boundary")
    assert mutant.line == 4
    assert mutant.apply(SAMPLE) == SAMPLE.replace("t.n < 3", "t.n <= 3")
    assert mutant.describe() == "line 4 boundary: '<' -> '<='"


def test_a_case_expression_stays_whole_when_its_predicate_is_dropped():
    text = "SELECT 1 FROM t WHERE a = CASE WHEN b > 0 THEN 1 ELSE 2 END AND c IS NULL;"
    assert ("drop predicate", "a = CASE WHEN b > 0 THEN 1 ELSE 2 END", "TRUE") in _made(text)


def test_the_on_of_a_grant_and_a_function_body_quote_bound_no_predicate():
    text = ("GRANT USAGE ON SCHEMA s TO PUBLIC;\n"
            "CREATE FUNCTION f(o INT) RETURNS BOOL AS $$ SELECT a = o $$ LANGUAGE SQL;\n"
            "SELECT 1 FROM t JOIN u ON u.id = t.id;")
    assert _made(text) == [("comparison", "=", "<>"), ("drop predicate", "u.id = t.id", "TRUE"),
                           ("comparison", "=", "<>")]


def test_every_sql_file_of_the_rooms_yields_mutants_that_change_it():
    for room in ROOMS:
        for path in (f for f in room.files() if f.suffix == ".sql"):
            text = (ROOT / path).read_text(encoding="utf-8")
            for mutant in sql_mutants.mutants(text):
                assert mutant.apply(text) != text, (path, mutant.describe())


# make mutants' own logic (tests/mutants.py, tests/mutants_report.py), checked without running a mutant.

def _baseline(tests: dict[str, float], lines: dict[int, set[str]]):
    from tests.mutants import Baseline

    return Baseline(10.0, tests, {(Path("m.py"), n): labels for n, labels in lines.items()})


def _mutant(line: int):
    from tests.mutants import Mutant

    return Mutant(Path("m.py"), line, "AddNot", "x", "not x", "")


def test_a_mutant_runs_only_the_tests_that_executed_its_line_fastest_first_a_module_together():
    from tests.mutants import tests_for

    base = {"tests/test_a.py": _baseline({"tests/test_a.py::slow": 5.0, "tests/test_a.py::fast": 0.1,
                                          "tests/test_a.py::other": 0.2}, {3: {"tests/test_a.py::slow",
                                                                              "tests/test_a.py::fast"}}),
            "tests/test_b.py": _baseline({"tests/test_b.py::mid": 1.0, "tests/test_b.py::quick": 0.05},
                                         {3: {"tests/test_b.py::mid"}, 4: {"tests/test_b.py::quick"}})}
    assert tests_for(_mutant(3), base) == ["tests/test_a.py::fast", "tests/test_a.py::slow", "tests/test_b.py::mid"]
    assert tests_for(_mutant(9), base) == []


def test_a_line_run_outside_any_test_runs_its_whole_module_the_files_tests_first():
    from tests.mutants import tests_for

    base = {"tests/test_a.py": _baseline({"tests/test_a.py::t1": 0.1, "tests/test_a.py::t2": 0.3,
                                          "tests/test_a.py::t3": 0.2},
                                         {1: {""}, 7: {"tests/test_a.py::t2"}})}
    assert tests_for(_mutant(1), base) == ["tests/test_a.py::t2", "tests/test_a.py::t1", "tests/test_a.py::t3"]
    # a test that fails alone, unmutated, depends on its module: its module runs whole
    assert tests_for(_mutant(7), base, {"tests/test_a.py::t2"})[0] == "tests/test_a.py::t2"
    assert len(tests_for(_mutant(7), base, {"tests/test_a.py::t2"})) == 3


def test_the_interval_of_a_sampled_score_is_wilsons():
    from tests.mutants_report import score, wilson

    low, high = wilson(38, 40)
    assert (round(low, 3), round(high, 3)) == (0.835, 0.986)
    assert wilson(0, 0) == (0.0, 1.0)
    assert score(["killed"] * 38 + ["survived", "not reached", "equivalent"], sample=True) == "95% (95 % CI 83%-99%)"
    assert score(["killed", "survived"]) == "50%"


def test_a_sample_is_the_same_for_the_same_seed_and_uniform_over_the_room():
    import random

    population = range(1000)
    assert random.Random(7).sample(population, 30) == random.Random(7).sample(population, 30)
    from tests import mutants

    assert "random.Random(args.seed).sample(range(population), args.sample)" in Path(mutants.__file__).read_text()


def test_annotations_are_not_mutated_where_they_are_never_evaluated():
    """What python_mutants skips under ``from __future__ import annotations``: a parameter's, a return's and a
    variable's annotation, never a default value or an expression. Read with parso (cosmic-ray's parser, which
    make test has through IPython's jedi; cosmic-ray itself comes only with make mutants)."""
    import parso

    from tests.mutants import _in_annotation

    tree = parso.parse("def f(a: int | None, b=1 | 2) -> str | None:\n    c: x | y = 3 | 4\n    return c\n")
    ors, leaf = [], tree.get_first_leaf()
    while leaf is not None:
        ors += [leaf] if leaf.value == "|" else []
        leaf = leaf.get_next_leaf()
    assert [(n.start_pos, _in_annotation(n.parent)) for n in ors] == [
        ((1, 13), True), ((1, 25), False), ((1, 37), True), ((2, 9), True), ((2, 17), False)]


def test_a_line_run_at_import_counts_for_every_test_of_the_modules_that_imported_it():
    """Whichever test first imported the module (lazily, in a server) ran its constants for all the others."""
    from tests.mutants import Lines, tests_for

    lines = Lines.of("LIMIT = (1,\n         2)\n@cache\ndef f(a=3):\n    return a\n")
    assert lines.at_import == {1, 2, 3, 4} and lines.first[2] == 1 and lines.first[5] == 5
    base = {"tests/test_a.py": _baseline({"tests/test_a.py::t1": 0.1, "tests/test_a.py::t2": 0.2},
                                         {1: {"tests/test_a.py::t1"}, 5: {"tests/test_a.py::t1"}})}
    assert tests_for(_mutant(2), base, lines=lines) == ["tests/test_a.py::t1", "tests/test_a.py::t2"]
    assert tests_for(_mutant(5), base, lines=lines) == ["tests/test_a.py::t1"]
