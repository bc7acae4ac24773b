"""04's answers as one HTML file to send: every `sparkify-nb run` that runs 04
writes reports/04_analytics.html (nbconvert, no code, images embedded, nothing
fetched from the network), and `sparkify-nb report RUN_DIR` writes it again."""

from __future__ import annotations

import base64
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from sparkify_nb import cli, runner
from sparkify_nb.analytics import report

ROOT = Path(__file__).resolve().parent.parent
CHART = """import pandas as pd
from sparkify_nb.analytics import charts
frame = pd.DataFrame({{"hour": range(24), "plays": [{plays}] * 24}})
charts.save(charts.plays_by_hour(frame, "a test"), frame, reports_dir, "{name}");"""
CODE = [CHART.format(plays=3, name="peak_play_hours"), 'print("Plays peak at 00:00 UTC with 3 plays.")',
        CHART.format(plays=5, name="peak_play_hours_local"), 'import sys\nprint("kernel noise", file=sys.stderr)',
        'print("saved: peak_play_hours.csv, peak_play_hours.png")']


class Page(HTMLParser):
    """What a browser would load: every img (src, alt), script src and stylesheet href; and the text."""

    def __init__(self, markup: str):
        super().__init__()
        self.images, self.loads, self.classes, self.text, self.links = [], [], set(), [], []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.update((attrs.get("class") or "").split())
        if tag == "img":
            self.images.append((attrs.get("src", ""), attrs.get("alt")))
        elif tag == "script" and attrs.get("src"):
            self.loads.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])
        elif tag == "a" and attrs.get("href") and not attrs["href"].startswith(("#", "http")):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)


def fake_04(tmp_path: Path) -> Path:
    """A project whose 04_analytics draws two charts with analytics.charts, answers, and prints what is not for the report."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    cells = [new_markdown_cell("# 04 · Analytics: a test\n\nWhen do people listen?"),
             new_code_cell('target = ""\nreports_dir = ""', metadata={"tags": ["parameters"]})]
    cells += [new_code_cell(code) for code in CODE]
    cells[-1].metadata["tags"] = [report.SKIP_TAG]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "sparkify-nb", "display_name": "Python (sparkify-nb)", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "04_analytics.ipynb")
    return tmp_path


def test_a_run_of_04_writes_the_report_with_every_chart_and_no_code_and_it_opens_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKIFY_HOME", str(fake_04(tmp_path)))
    run_dir = runner.run_suite(["04_analytics"], out=tmp_path / "run", progress=lambda _: None)
    written = run_dir / "reports" / "04_analytics.html"
    page = Page(written.read_text(encoding="utf-8"))
    charts = sorted((run_dir / "reports").glob("*.png"))
    assert [p.name for p in charts] == ["peak_play_hours.png", "peak_play_hours_local.png"]
    assert [src for src, _ in page.images] == [f"data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}"
                                                for p in charts]
    assert [alt for _, alt in page.images] == ["When do people listen? Plays by hour of day (UTC), a test"] * 2
    assert page.loads == []  # no script or stylesheet from anywhere: it opens offline
    text = "".join(page.text)
    assert "When do people listen?" in text and "Plays peak at 00:00 UTC with 3 plays." in text
    assert not [line for code in CODE + ['reports_dir = ""'] for line in code.splitlines() if line in text]
    assert not {"jp-InputPrompt", "jp-OutputPrompt", "jp-CodeMirrorEditor"} & page.classes
    assert "kernel noise" not in text and "saved: " not in text  # stderr and the not-in-report cell
    assert "04_analytics.html" in json.loads((run_dir / "run.json").read_text())["reports"]


def test_sparkify_nb_report_writes_it_again_from_the_executed_notebook(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    nb = new_notebook(cells=[new_markdown_cell("# 04 · Analytics: again"),
                             new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="an answer\n")])])
    nbformat.write(nb, run_dir / "04_analytics.ipynb")
    assert cli.main(["report", str(run_dir)]) == 0
    written = run_dir / "reports" / "04_analytics.html"
    assert capsys.readouterr().out == f"report to send: {written}\n"
    page = Page(written.read_text(encoding="utf-8"))
    assert "an answer" in "".join(page.text) and "print(1)" not in "".join(page.text)
    assert "<title>04 · Analytics: again</title>" in written.read_text(encoding="utf-8")
    elsewhere = report.render(run_dir / "04_analytics.ipynb", tmp_path / "to-send" / "monday" / "04.html")
    assert elsewhere.read_text(encoding="utf-8") == written.read_text(encoding="utf-8")  # its folders made


def test_the_report_shows_the_query_of_a_sql_cell_leaves_out_how_to_run_the_notebook_and_links_from_reports(
        tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "03_etl.ipynb").write_text("{}")
    nb = new_notebook(cells=[
        new_markdown_cell("# 04 · Analytics: again\n\nNeeds: [03 · ETL](03_etl.ipynb)."),
        new_markdown_cell("Run it headlessly: `papermill notebooks/04_analytics.ipynb out.ipynb -p level paid`",
                          metadata={"tags": [report.SKIP_TAG]}),
        new_code_cell("%%sql paid_by_hour <<\nSELECT hour, plays\nFROM songplays",
                      outputs=[nbformat.v4.new_output("stream", text="paid_by_hour: 2 rows x 2 columns\n")])])
    nbformat.write(nb, run_dir / "04_analytics.ipynb")
    page = Page(report.render(run_dir / "04_analytics.ipynb").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert "SELECT hour, plays\nFROM songplays" in text and "%%sql" not in text
    assert text.index("FROM songplays") < text.index("paid_by_hour: 2 rows x 2 columns")
    assert "papermill" not in text
    assert page.links == ["../03_etl.ipynb"]
    assert (run_dir / "reports" / page.links[0]).resolve() == (run_dir / "03_etl.ipynb").resolve()


def test_a_run_folder_without_04_says_what_to_do(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"sparkify-nb: error: no executed notebook {tmp_path / '04_analytics.ipynb'}: "
                                       "`sparkify-nb run` writes one (it runs 04)\n")


def test_the_pages_title_is_the_first_level_one_heading_of_the_markdown_else_sparkify_analytics():
    """A "## " heading is not the title, nor a code comment; the first "# " line of any markdown cell is."""
    code = new_code_cell("# a comment, not a heading\nprint(1)")
    nb = new_notebook(cells=[code, new_markdown_cell("## Setup\n\ntext"),
                             new_markdown_cell("Intro\n# 04 · Analytics: a test  \n# later")])
    assert report._title(nb) == "04 · Analytics: a test"
    assert report._title(new_notebook(cells=[code, new_markdown_cell("## Setup")])) == "Sparkify analytics"
