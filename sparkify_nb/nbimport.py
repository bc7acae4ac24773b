"""Import nbformat (papermill, nbconvert and nbval import it) without compiling a grammar nobody uses.

On import, jsonschema registers an ``iri`` format checker when the optional package
``rfc3987-syntax`` is installed (jupyterlab brings it: jupyter-events asks for
``jsonschema[format-nongpl]``), and that package compiles a Lark grammar of RFC 3987 as it is
imported: 1.5 s of CPU (``python -X importtime -c "import papermill"``: 2.3 s in all, 1.55 s of it
``rfc3987_syntax.syntax_helpers``) in every process that reads a notebook: each ``sparkify-nb run``,
the report's nbconvert, each pytest worker. Nothing of ours checks formats (nbformat, nbclient,
papermill, nbconvert and nbval validate with no ``format_checker``), so a process that has not
imported jsonschema yet marks that one module absent (``sys.modules[name] = None`` makes its import
raise ImportError, which jsonschema catches: it then registers every checker but ``iri``).
Measured on this machine: ``import papermill`` 2.34 -> 0.77 s of CPU.

Imported first by the modules that import nbformat, and a pytest plugin (``-p sparkify_nb.nbimport``
in pyproject's ``addopts``: pytest loads it before its entry-point plugins, nbval among them).
"""

from __future__ import annotations

import sys

GRAMMAR_MODULE = "rfc3987_syntax"


def skip_iri_grammar() -> bool:
    """Mark :data:`GRAMMAR_MODULE` absent unless jsonschema or it is already imported; whether it did."""
    if "jsonschema" in sys.modules or GRAMMAR_MODULE in sys.modules:
        return False
    sys.modules[GRAMMAR_MODULE] = None  # type: ignore[assignment]
    return True


skip_iri_grammar()
