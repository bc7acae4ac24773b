"""04's answers as one HTML file to send: ``reports/04_analytics.html``.

Built with nbconvert's HTML exporter (its ``lab`` template, the look of
JupyterLab) from the executed notebook, for a reader who does not run
notebooks:

- the narrative (markdown), the answers, the tables and the charts; no code:
  inputs and prompts are left out, and so are code cells that show nothing,
  the cells tagged :data:`SKIP_TAG` (how to run the notebook with papermill,
  its parameters, where the files went, what still bills, the link to 99) and
  anything written to stderr; the query of a ``%%sql`` cell is the one piece
  of code shown, as text above its rows (the question it answers);
- its links lead where they did in the run: each is rewritten relative to
  ``reports/`` (:mod:`sparkify_nb.links`);
- self-contained, opening offline: the charts are PNGs embedded as ``data:``
  URIs (nbconvert writes image outputs so; ``embed_images`` does the same for
  markdown images), the CSS is inline, and the template's script loaders
  (RequireJS, MathJax and Mermaid from a CDN) are left out: 04 needs none.

``sparkify-nb run`` writes it after 04 has run; ``sparkify-nb report RUN_DIR``
writes it again from ``RUN_DIR/04_analytics.ipynb``.

Example::

    >>> from sparkify_nb.analytics import report
    >>> report.render(Path("runs/20181105T020003Z/04_analytics.ipynb"))   # doctest: +SKIP
    PosixPath('runs/20181105T020003Z/reports/04_analytics.html')
"""

from __future__ import annotations

from pathlib import Path

from .. import SparkifyError, links, paths

NOTEBOOK = "04_analytics.ipynb"
NAME = "04_analytics.html"
SKIP_TAG = "not-in-report"
_TEMPLATE = "sparkify_report.html.j2"
# The lab template without the blocks that load scripts from the network, and charts (embedded PNGs) with the
# alternative text the chart was shown with (analytics.charts gives its title) instead of nbconvert's placeholder.
_TEMPLATE_TEXT = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ ((output | get_metadata('alt', 'image/png')) or 'a chart') | escape_html }}">
</div>
{%- endblock data_png -%}
"""


class ReportError(SparkifyError):
    """The HTML report could not be written; the message says which file is missing."""


def render(executed: Path, out: Path | None = None) -> Path:
    """Write the HTML report of the executed 04 notebook ``executed`` to ``out``
    (default: ``reports/04_analytics.html`` beside it); return ``out``.
    Raises :class:`ReportError` when ``executed`` does not exist."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    executed = Path(executed)
    if not executed.is_file():
        raise ReportError(f"no executed notebook {executed}: `sparkify-nb run` writes one (it runs 04)")
    out = Path(out) if out else executed.parent / "reports" / NAME
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]  # nothing to show: no empty box
    nb.cells = _with_sql_shown(nb.cells)
    links.relink(nb, out.parent, [executed.parent, paths.notebooks_dir()])  # from reports/, not from the run
    nb.metadata["title"] = _title(nb)
    exporter = HTMLExporter(template_name="lab", template_file=_TEMPLATE,
                            extra_loaders=[jinja2.DictLoader({_TEMPLATE: _TEMPLATE_TEXT})],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={SKIP_TAG}), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(executed.parent)}})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def _with_sql_shown(cells: list) -> list:
    """``cells`` with the query of each ``%%sql`` cell shown as a SQL block
    before its output: the report leaves code out, but an answer to "your own
    question" means little without the question."""
    from nbformat.v4 import new_markdown_cell

    shown = []
    for cell in cells:
        if cell.cell_type == "code" and cell.source.startswith("%%sql"):
            query = cell.source.split("\n", 1)[1] if "\n" in cell.source else ""
            shown.append(new_markdown_cell(f"```sql\n{query.strip()}\n```"))
        shown.append(cell)
    return shown


def _title(nb) -> str:
    """The first heading of the notebook (``04 · Analytics: ...``), the page's title."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Sparkify analytics"
