"""A notebook's links lead somewhere from wherever its copy is written: the
run folder (runs/<ts>/) and the report's reports/ folder."""

from __future__ import annotations

from pathlib import Path

from nbformat.v4 import new_markdown_cell, new_notebook

from sparkify_nb import links


def project(tmp_path: Path) -> Path:
    """A checkout with notebooks 03, 04, 99 and docs/scaling.md, and a run folder holding 03 and 04."""
    for name in ("notebooks/03_etl.ipynb", "notebooks/04_analytics.ipynb", "notebooks/99_teardown.ipynb",
                 "docs/scaling.md", "runs/20181105T020003Z/03_etl.ipynb", "runs/20181105T020003Z/04_analytics.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    return tmp_path


def notebook():
    return new_notebook(cells=[new_markdown_cell(
        "Needs: [03 · ETL](03_etl.ipynb). Why: [scaling](../docs/scaling.md#3-files-per-copy). "
        "[AWS](https://aws.amazon.com/redshift/) and [below](#summary).\n\n[Next: 99 · Teardown →](99_teardown.ipynb)")])


def test_in_the_run_folder_a_neighbour_of_the_run_stays_and_the_rest_points_into_the_checkout(tmp_path):
    root = project(tmp_path)
    nb, run = notebook(), root / "runs" / "20181105T020003Z"
    assert links.dead_links(nb, run) == ["../docs/scaling.md", "99_teardown.ipynb"]
    assert links.relink(nb, run, [root / "notebooks"]) == 2
    assert nb.cells[0].source == (
        "Needs: [03 · ETL](03_etl.ipynb). Why: [scaling](../../docs/scaling.md#3-files-per-copy). "
        "[AWS](https://aws.amazon.com/redshift/) and [below](#summary).\n\n"
        "[Next: 99 · Teardown →](../../notebooks/99_teardown.ipynb)")
    assert links.dead_links(nb, run) == []


def test_from_the_reports_folder_the_run_comes_before_the_checkout(tmp_path):
    root = project(tmp_path)
    run = root / "runs" / "20181105T020003Z"
    nb = notebook()
    links.relink(nb, run, [root / "notebooks"])
    links.relink(nb, run / "reports", [run, root / "notebooks"])
    assert links.local_targets(nb.cells[0].source) == ["../03_etl.ipynb", "../../../docs/scaling.md",
                                                       "../../../notebooks/99_teardown.ipynb"]
    assert links.dead_links(nb, run / "reports") == []


def test_a_link_found_nowhere_is_left_as_it_is_and_reported(tmp_path):
    root = project(tmp_path)
    nb = new_notebook(cells=[new_markdown_cell("[gone](nowhere.md)")])
    assert links.relink(nb, root / "runs", [root / "notebooks"]) == 0
    assert links.dead_links(nb, root / "runs") == ["nowhere.md"]
