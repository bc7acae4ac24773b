"""The star schema's entity-relationship diagram as an SVG drawn here, from
the table definitions of :mod:`.schema` (the DDL's source, so the two cannot
disagree), needing nothing to render it but the SVG support every browser,
JupyterLab, nbconvert's HTML and GitHub have.

Why not the mermaid block 02 showed before: JupyterLab 4.1+ draws mermaid,
but an HTML export loads mermaid's script from a CDN, so offline (or by
e-mail) the diagram was a blank box. The drawing is plain geometry (boxes,
rows, lines), deterministic: the same tables give the same bytes, so nbval
can compare it.

Layout: the fact table (the table with the most references) in the middle;
the other tables in two columns beside it, in their order, each to the
shorter column unless it references (or is referenced by) a table already in
one, so that a reference between two dimensions never crosses the fact table.
A reference is a line from the referencing column's row to the referenced
table's key row; solid when the column is NOT NULL (exactly one), dashed
when it may be NULL (zero or one), with the many end marked by a fork.

Example::

    >>> from sparkify_nb.warehouse import diagram
    >>> svg = diagram.er_svg()
    >>> svg.startswith("<svg") and "songplays" in svg
    True
"""

from __future__ import annotations

from html import escape

from .schema import STAR_TABLES, Table, _er_type

ROW = 20           # px, one column's row
CHAR = 7.2         # px, one character of the 12 px monospace font
HEADER = 24        # px, the table's name
GAP_X, GAP_Y = 90, 28
PAD = 12
INK, HEAD, KEY, LINE = "#1f2937", "#dbe7f5", "#fde9b8", "#3d6a99"
FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px"


def _width(table: Table) -> float:
    longest = max([len(table.name) + 2] + [len(c.name) + len(_er_type(c)) + 8 for c in table.columns])
    return round(longest * CHAR + 2 * PAD)


def _height(table: Table) -> int:
    return HEADER + ROW * len(table.columns)


def _layout(tables: tuple[Table, ...]) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Top-left corner of each table, and the drawing's width and height."""
    fact = max(tables, key=lambda t: len(t.references))
    left: list[Table] = []
    right: list[Table] = []
    for table in (t for t in tables if t is not fact):
        linked = {target for _, target in table.references} | {
            t.name for t in tables if t is not fact and table.name in {target for _, target in t.references}}
        if any(t.name in linked for t in right):
            right.append(table)
        elif any(t.name in linked for t in left):
            left.append(table)
        else:
            (left if len(left) <= len(right) else right).append(table)
    width_left = max((_width(t) for t in left), default=0)
    width_fact = _width(fact)
    width_right = max((_width(t) for t in right), default=0)
    x_fact = PAD + width_left + GAP_X
    x_right = x_fact + width_fact + GAP_X
    corners: dict[str, tuple[float, float]] = {}
    heights = []
    for column, x in ((left, PAD), (right, x_right)):
        y = PAD
        for table in column:
            corners[table.name] = (x, y)
            y += _height(table) + GAP_Y
        heights.append(y - GAP_Y)
    column_height = max(heights + [PAD + _height(fact)])
    corners[fact.name] = (x_fact, max(PAD, (column_height - _height(fact)) / 2))
    return corners, x_right + width_right + PAD + 40, column_height + PAD + 30  # room for an elbow


def _row_y(table: Table, corner: tuple[float, float], column: str) -> float:
    return corner[1] + HEADER + ROW * table.column_names.index(column) + ROW / 2


def er_svg(tables: tuple[Table, ...] = STAR_TABLES) -> str:
    """The ER diagram of ``tables`` (default: the star schema) as SVG text (see
    the module docstring). ``PK`` marks a primary key, ``FK`` a column that
    names another table's key."""
    by_name = {t.name: t for t in tables}
    corners, width, height = _layout(tables)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
             f'aria-label="Entity-relationship diagram of {", ".join(t.name for t in tables)}" style="{FONT}">',
             f'<title>The star schema: {escape(", ".join(t.name for t in tables))}</title>']
    references = [(table, column, by_name[target]) for table in tables for column, target in table.references]
    for lane, (table, column, target) in enumerate(references):  # each vertical run on its own x
        parts.append(_reference(table, column, target, corners, (lane - (len(references) - 1) / 2) * 10))
    for table in tables:
        parts.append(_box(table, corners[table.name]))
    y = height - 14
    parts.append(f'<line x1="{PAD}" y1="{y - 4}" x2="{PAD + 30}" y2="{y - 4}" stroke="{LINE}" stroke-width="1.5"/>'
                 f'<text x="{PAD + 36}" y="{y}" fill="{INK}">exactly one</text>'
                 f'<line x1="{PAD + 140}" y1="{y - 4}" x2="{PAD + 170}" y2="{y - 4}" stroke="{LINE}" '
                 f'stroke-width="1.5" stroke-dasharray="5 3"/>'
                 f'<text x="{PAD + 176}" y="{y}" fill="{INK}">zero or one (the column may be NULL)</text>'
                 f'<text x="{PAD + 470}" y="{y}" fill="{INK}">fork: the many side</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _box(table: Table, corner: tuple[float, float]) -> str:
    x, y = corner
    w, h = _width(table), _height(table)
    referencing = {column for column, _ in table.references}
    out = [f'<g class="table" data-table="{escape(table.name)}">',
           f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="white" stroke="{INK}"/>',
           f'<rect x="{x}" y="{y}" width="{w}" height="{HEADER}" fill="{HEAD}" stroke="{INK}"/>',
           f'<text x="{x + w / 2}" y="{y + 16}" text-anchor="middle" font-weight="bold" fill="{INK}">'
           f'{escape(table.name)}</text>']
    for i, column in enumerate(table.columns):
        top = y + HEADER + ROW * i
        keys = [k for k, on in (("PK", column.name in table.primary_key), ("FK", column.name in referencing)) if on]
        if "PK" in keys:
            out.append(f'<rect x="{x + 0.5}" y="{top}" width="{w - 1}" height="{ROW}" fill="{KEY}"/>')
        out.append(f'<text x="{x + PAD}" y="{top + 14}" fill="{INK}">{escape(column.name)}'
                   f'<tspan fill="#6b7280"> {escape(_er_type(column))}</tspan></text>')
        if keys:
            out.append(f'<text x="{x + w - PAD}" y="{top + 14}" text-anchor="end" font-weight="bold" '
                       f'fill="{INK}">{",".join(keys)}</text>')
    out.append("</g>")
    return "".join(out)


def _reference(table: Table, column: str, target: Table, corners: dict[str, tuple[float, float]],
               shift: float = 0.0) -> str:
    """A line from ``table.column`` to ``target``'s key row, with a fork at the many end."""
    start, end = corners[table.name], corners[target.name]
    y1 = _row_y(table, start, column)
    y2 = _row_y(target, end, target.primary_key[0])
    nullable = not next(c for c in table.columns if c.name == column).not_null
    dash = ' stroke-dasharray="5 3"' if nullable else ""
    if abs(start[0] - end[0]) < 1:  # same column of boxes: an elbow on the outer side
        x, x_end = start[0] + _width(table), end[0] + _width(target)
        out = max(x, x_end) + 24 + shift
        path = f"M {x} {y1} H {out} V {y2} H {x_end}"
        fork_x, fork_dir = x, 1
    elif start[0] < end[0]:
        x1, x2 = start[0] + _width(table), end[0]
        middle = (x1 + x2) / 2 + shift
        path = f"M {x1} {y1} H {middle} V {y2} H {x2}"
        fork_x, fork_dir = x1, 1
    else:
        x1, x2 = start[0], end[0] + _width(target)
        middle = (x1 + x2) / 2 + shift
        path = f"M {x1} {y1} H {middle} V {y2} H {x2}"
        fork_x, fork_dir = x1, -1
    fork = (f"M {fork_x + 10 * fork_dir} {y1} L {fork_x} {y1 - 6} M {fork_x + 10 * fork_dir} {y1} "
            f"L {fork_x} {y1 + 6}")
    return (f'<path class="reference" data-from="{table.name}.{column}" data-to="{target.name}" d="{path}" '
            f'fill="none" stroke="{LINE}" stroke-width="1.5"{dash}/>'
            f'<path d="{fork}" fill="none" stroke="{LINE}" stroke-width="1.5"/>')


def show(tables: tuple[Table, ...] = STAR_TABLES):
    """:func:`er_svg` as an IPython SVG object: a notebook cell ending with it
    shows the drawing (``image/svg+xml``), in JupyterLab and in HTML exports alike."""
    from IPython.display import SVG

    return SVG(er_svg(tables))
