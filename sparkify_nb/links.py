"""Links of a notebook's markdown that still lead somewhere once the notebook
is written elsewhere.

The notebooks under ``notebooks/`` link to their neighbours (``03_etl.ipynb``)
and to the checkout (``../docs/scaling.md``). An executed copy in a run folder
(``runs/<ts>/``), and the HTML report in its ``reports/``, sit one or two
folders away, so the same text there points at nothing. :func:`relink`
rewrites each relative link of the markdown cells: a target that exists beside
the copy stays as it is (the run's own ``03_etl.ipynb``); otherwise it becomes
the path, relative to the copy's folder, of the first of ``sources`` where it
exists (the checkout's ``docs/scaling.md``, the source ``99_teardown.ipynb`` a
run did not execute). Links to the web, to an anchor of the same page, and
targets found nowhere are left as they are (:func:`dead_links` lists the last).

Example::

    >>> relinked = relink(nb, Path("runs/20181105T020003Z"), [paths.notebooks_dir()])   # doctest: +SKIP
    >>> dead_links(nb, Path("runs/20181105T020003Z"))   # doctest: +SKIP
    []
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import unquote

from . import nbimport  # noqa: F401  before nbformat: no grammar compile (its docstring)

# [text](target) or [text](target "title"); the target has no space or parenthesis (ours never do).
_LINK = re.compile(r"(\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)


def _split(target: str) -> tuple[str, str]:
    """``path#anchor`` -> (``path``, ``#anchor``)."""
    path, hash_, anchor = target.partition("#")
    return path, hash_ + anchor


def local_targets(text: str) -> list[str]:
    """The relative link targets of markdown ``text`` (no URL, no bare anchor), anchors cut off."""
    return [_split(m.group(2))[0] for m in _LINK.finditer(text) if not _EXTERNAL.match(m.group(2))]


def _exists(folder: Path, target: str) -> bool:
    """Whether ``target`` names a file or folder as seen from ``folder`` (``..`` taken
    textually, so a folder not yet made still counts as a place to look from)."""
    return Path(os.path.normpath(Path(folder) / unquote(target))).exists()


def _markdown(nb: Any) -> Iterable[Any]:
    return (cell for cell in nb.cells if cell.cell_type == "markdown")


def relink(nb: Any, folder: Path, sources: Sequence[Path]) -> int:
    """Rewrite, in place, the relative links of ``nb``'s markdown cells for a
    copy of ``nb`` written into ``folder`` (see the module docstring); return
    how many links changed."""
    folder = Path(os.path.abspath(folder))
    changed = 0

    def fix(match: re.Match) -> str:
        nonlocal changed
        target = match.group(2)
        if _EXTERNAL.match(target):
            return match.group(0)
        path, anchor = _split(target)
        if not path or _exists(folder, path):
            return match.group(0)
        for source in sources:
            found = Path(os.path.normpath(Path(os.path.abspath(source)) / unquote(path)))
            if found.exists():
                changed += 1
                return f"{match.group(1)}{Path(os.path.relpath(found, folder)).as_posix()}{anchor}{match.group(3)}"
        return match.group(0)

    for cell in _markdown(nb):
        cell.source = _LINK.sub(fix, cell.source)
    return changed


def dead_links(nb: Any, folder: Path) -> list[str]:
    """The relative link targets of ``nb``'s markdown that do not exist as seen from ``folder``."""
    folder = Path(folder)
    return [target for cell in _markdown(nb) for target in local_targets(cell.source)
            if not _exists(folder, target)]


def relink_file(notebook: Path, sources: Sequence[Path]) -> int:
    """:func:`relink` for the notebook file ``notebook``, written back in place
    when a link changed; return how many changed."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    changed = relink(nb, Path(notebook).parent, sources)
    if changed:
        nbformat.write(nb, notebook)
    return changed
