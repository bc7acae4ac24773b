"""Redshift's meaning on PostgreSQL: the rewrites of a parsed statement that make
PostgreSQL compute what Redshift computes where the two differ in result type or
value (rule 9 of :mod:`sparkify_nb.local.rehearsal` states them; each with its page):

- ``EXTRACT(part FROM x)``: "INTEGER if the source value evaluates to data type
  TIMESTAMP, TIME, TIMETZ, INTERVAL ...; DOUBLE PRECISION if ... TIMESTAMPTZ"
  [DG r_EXTRACT_function.html] -> ``redshift_system.rs_extract('part', x)``,
  overloaded per source type in ``sql/system.sql`` (PostgreSQL's EXTRACT is a
  NUMERIC with the fraction: ``EXTRACT(epoch ...)`` of ``...46.790`` is ``...46.79``
  there and a whole number on Redshift; dropping the fraction rather than rounding
  it is unconfirmed). ``millisecond`` / ``microsecond`` are the part within the
  second ("extract(ms from timestamp '2009-09-09 12:08:43.101')" is ``101``, same page).
- ``DATE_PART(part, x)``: DOUBLE PRECISION [DG r_DATE_PART_function.html], as
  PostgreSQL's ``date_part`` (kept a ``date_part`` call; sqlglot would make it an EXTRACT).
- ``DATEDIFF(part, a, b)``: the number of ``part`` boundaries crossed, a BIGINT
  [DG r_DATEDIFF_function.html] -> ``redshift_system.datediff('part', a, b)``.
- ``AVG`` of an integer type is a BIGINT, of a floating type DOUBLE PRECISION;
  ``SUM`` of SMALLINT, INTEGER or BIGINT is a BIGINT, of a floating type DOUBLE
  PRECISION [DG r_AVG.html, r_SUM.html] -> ``redshift_system.avg`` / ``.sum``
  (PostgreSQL: ``avg(int)`` NUMERIC 2.5, ``sum(bigint)`` NUMERIC, ``sum(real)`` REAL).
  That an integer AVG drops the fraction (2.9 -> 2) follows r_AVG.html's example
  ("select avg(qtysold) ... 2"); the rounding rule itself is unconfirmed.
- ``TEXT`` and a ``VARCHAR`` without a length are ``VARCHAR(256)``; a VARCHAR's
  length counts bytes, at most 65535 ("you can create an Amazon Redshift table
  with a TEXT column, but it is converted to a VARCHAR(256) column"; "VARCHAR ...
  65535 bytes"; "lengths ... in bytes, not characters" [DG r_Character_types.html]):
  a table's VARCHAR(n) column (of CREATE TABLE or ALTER TABLE ADD COLUMN) gets a
  byte-length check, so INSERT and UPDATE refuse what Redshift refuses ("value too
  long for type character varying(n)").
  ``VARCHAR(MAX)`` is 65535 bytes ("The MAX setting defines the width of the
  column as ... 65535 bytes for VARCHAR", same page). Any other length (a name, a
  string, a fraction, two numbers) is a syntax error, and a length below 1 fails
  with PostgreSQL's "length for type varchar must be at least 1" (both unconfirmed:
  AWS's grammar shows ``VARCHAR(n)`` and ``MAX`` only; the strictest reading).
- A number compared with a string: "If you compare numeric values with character
  strings, the numeric values are converted to character strings" [DG
  r_Type_conversion.html] (PostgreSQL has no such operator and refuses). A whole
  number literal within SMALLINT's range compared (``=``, ``<>``, ``<``, ``<=``, ``>``,
  ``>=``, ``IN``, ``BETWEEN``) with anything but a literal is written as a string
  literal: against a string it is then the string comparison Redshift makes, against
  any number type PostgreSQL reads the literal as that type, the same value (which is
  why only whole numbers a SMALLINT holds: ``'40000'`` is no SMALLINT, ``'1.5'`` no
  INTEGER). Any other number compared with a string (a column, a fraction, a larger
  literal) is refused saying the rehearsal does not serve it yet
  (:func:`.statements.pg_error`).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import TokenType
from sqlglot.dialects.redshift import Redshift
from sqlglot.parsers.redshift import RedshiftParser


SYSTEM = "redshift_system"
MAX_VARCHAR = 65535
DEFAULT_VARCHAR = 256
_TEXT_TYPES = (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR)
# Redshift's spellings of a date part (r_Dateparts_for_datetime_functions.html) -> the name sql/system.sql takes
_PARTS = {
    "millennium": ("millennium", "millennia", "mil", "mils"), "century": ("century", "centuries", "c", "cent", "cents"),
    "decade": ("decade", "decades", "dec", "decs"), "epoch": ("epoch",),
    "year": ("year", "years", "y", "yr", "yrs"), "quarter": ("quarter", "quarters", "qtr", "qtrs"),
    "month": ("month", "months", "mon", "mons"), "week": ("week", "weeks", "w"),
    "dow": ("dayofweek", "dow", "dw", "weekday"), "doy": ("dayofyear", "doy", "dy", "yearday"),
    "day": ("day", "days", "d"), "hour": ("hour", "hours", "h", "hr", "hrs"),
    "minute": ("minute", "minutes", "m", "min", "mins"), "second": ("second", "seconds", "s", "sec", "secs"),
    "millisecond": ("millisecond", "milliseconds", "ms", "msec", "msecs", "msecond", "mseconds", "millisec",
                    "millisecs", "millisecon"),
    "microsecond": ("microsecond", "microseconds", "microsec", "microsecs", "microsecond", "usecond", "useconds",
                    "us", "usec", "usecs"),
    "timezone": ("timezone",), "timezone_hour": ("timezone_hour",), "timezone_minute": ("timezone_minute",),
}
PART_NAMES = {alias: name for name, aliases in _PARTS.items() for alias in aliases}


class Refused(Exception):
    """A statement Redshift would not run; ``str()`` is the ``Error`` text the Data API shows."""


class _Parser(RedshiftParser):
    # a column's own DISTKEY and SORTKEY attributes (r_CREATE_TABLE_NEW.html's column_attributes), which sqlglot
    # reads only as the table's: kept as the table's properties are, for translate.py to drop
    CONSTRAINT_PARSERS = {
        **RedshiftParser.CONSTRAINT_PARSERS,
        "DISTKEY": lambda self: self.expression(exp.DistKeyProperty(this=exp.var("DISTKEY"))),
        "SORTKEY": lambda self: self.expression(exp.SortKeyProperty(this=exp.var("SORTKEY"))),
    }

    def _parse_property(self) -> exp.Expression | list[exp.Expression] | None:
        """The table attributes of r_CREATE_TABLE_NEW.html that sqlglot does not read: ``INTERLEAVED SORTKEY
        (...)``, ``SORTKEY AUTO``, ``ENCODE AUTO``."""
        if self._match_text_seq("INTERLEAVED", "SORTKEY"):
            return self._parse_sortkey()
        if self._match_text_seq("SORTKEY", "AUTO"):
            return self.expression(exp.SortKeyProperty(this=exp.var("AUTO")))
        if self._match_text_seq("ENCODE", "AUTO"):
            return self.expression(exp.EncodeProperty(this=exp.var("AUTO")))
        return super()._parse_property()

    def _parse_date_part(self) -> exp.Expression:
        node = super()._parse_date_part()
        node.meta["date_part"] = True  # sqlglot reads DATE_PART as an EXTRACT; their result types differ
        return node

    def _parse_generated_as_identity(self) -> exp.Expression:
        """``GENERATED BY DEFAULT AS IDENTITY(seed, step)`` with a negative seed (``(-3, 1)``), which sqlglot's
        own reading takes only when the seed starts with a digit; every other spelling (and a negative seed
        without exactly a step after it: a syntax error) is sqlglot's."""
        index = self._index
        if self._match_text_seq("BY", "DEFAULT", "AS", "IDENTITY", "(") and self._match(TokenType.DASH, advance=False):
            args = self._parse_csv(self._parse_bitwise)
            if len(args) == 2 and self._match(TokenType.R_PAREN):
                return self.expression(exp.GeneratedAsIdentityColumnConstraint(
                    this=False, on_null=None, start=args[0], increment=args[1]))
        self._retreat(index)
        return super()._parse_generated_as_identity()


class RedshiftDialect(Redshift):
    """sqlglot's Redshift dialect, with DATE_PART kept apart from EXTRACT."""

    Parser = _Parser


def part_name(node: exp.Expression | None, function: str) -> str:
    """The date part ``node`` names (``epoch``, ``'hour'``, ``ms``), as ``sql/system.sql`` spells it."""
    word = (node.name if node is not None else "").lower()
    if word not in PART_NAMES:
        raise Refused(f'ERROR: {function}: "{word}" is not a date part Amazon Redshift knows '
                      "(https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html)")
    return PART_NAMES[word]


def _system(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Dot(this=exp.to_identifier(SYSTEM), expression=exp.Anonymous(this=name, expressions=list(args)))


def _length(kind: exp.DataType) -> int | None:
    params = kind.expressions
    if not params:
        return None
    value = params[0].this  # sqlglot reads each of a type's parameters as a DataTypeParam
    if isinstance(value, exp.Literal) and value.is_int:
        return int(value.name)
    if isinstance(value, exp.Var) and value.name.upper() == "MAX":
        return MAX_VARCHAR  # "VARCHAR(MAX)" is 65535 bytes (r_Character_types.html)
    return None


def check_types(tree: exp.Expression) -> None:
    """Refuses a VARCHAR whose length is not one whole number or MAX, below 1, or longer than Redshift allows
    (65535 bytes)."""
    for kind in tree.find_all(exp.DataType):
        if kind.this in _TEXT_TYPES and kind.expressions:
            size = _length(kind)
            if size is None or len(kind.expressions) > 1:
                raise Refused(f'ERROR: syntax error at or near "{kind.expressions[-1].sql("redshift")}"')
            if size < 1:
                raise Refused("ERROR: length for type varchar must be at least 1")
            if size > MAX_VARCHAR:
                raise Refused(f"ERROR: length for type varchar cannot exceed {MAX_VARCHAR} "
                              "(https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html)")


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_SMALLINT = (-32768, 32767)


def _whole_number(node: exp.Expression | None) -> int | None:
    """The value of ``node`` when it is a whole number literal within SMALLINT's range (``5``, ``-5``), else None."""
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if not (isinstance(literal, exp.Literal) and literal.is_int):
        return None
    value = -int(literal.name) if negative else int(literal.name)
    return value if _SMALLINT[0] <= value <= _SMALLINT[1] else None


def _literal(node: exp.Expression | None) -> bool:
    return isinstance(node, (exp.Literal, exp.Null, exp.Boolean)) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal))


def numbers_compared_as_strings(tree: exp.Expression) -> None:
    """Whole number literals compared with a non-literal become string literals (the module docstring says why)."""
    pairs: list[tuple[exp.Expression, list[exp.Expression | None]]] = []
    for node in tree.find_all(*_COMPARISONS):
        pairs += [(node.this, [node.expression]), (node.expression, [node.this])]
    for node in tree.find_all(exp.In):
        pairs += [(node.this, list(node.expressions))]
    for node in tree.find_all(exp.Between):
        pairs += [(node.this, [node.args.get("low"), node.args.get("high")])]
    for other, numbers in pairs:
        if _literal(other):
            continue
        for number in numbers:
            value = _whole_number(number)
            if value is not None:
                number.replace(exp.Literal.string(str(value)))


def rewrite(tree: exp.Expression) -> exp.Expression:
    """``tree`` (a copy) with Redshift's types and function results made explicit for PostgreSQL."""
    numbers_compared_as_strings(tree)
    for kind in list(tree.find_all(exp.DataType)):
        if kind.this in _TEXT_TYPES:
            size = _length(kind) or DEFAULT_VARCHAR
            kind.replace(exp.DataType.build(f"VARCHAR({size})"))
    for column in list(tree.find_all(exp.ColumnDef)):
        kind = column.args.get("kind")
        if isinstance(kind, exp.DataType) and kind.this == exp.DataType.Type.VARCHAR and isinstance(
                tree, (exp.Create, exp.Alter)):  # a table's column, made by CREATE TABLE or ALTER TABLE ADD COLUMN
            size = _length(kind)
            check = exp.CheckColumnConstraint(this=exp.LTE(
                this=exp.Anonymous(this="octet_length", expressions=[exp.column(column.this.copy())]),
                expression=exp.Literal.number(size)))
            name = exp.to_identifier(f"value too long for type character varying({size}): {column.name}"[:63])
            column.append("constraints", exp.ColumnConstraint(this=name, kind=check))
    for node in list(tree.find_all(exp.Extract)):
        part = exp.Literal.string(part_name(node.this, "DATE_PART" if node.meta.get("date_part") else "EXTRACT"))
        if node.meta.get("date_part"):
            node.replace(exp.Anonymous(this="date_part", expressions=[part, node.expression]))
        else:
            node.replace(_system("rs_extract", part, node.expression))
    for node in list(tree.find_all(exp.TsOrDsDiff, exp.DateDiff)):
        part = exp.Literal.string(part_name(node.args.get("unit"), "DATEDIFF"))
        node.replace(_system("datediff", part, node.expression, node.this))
    for node in list(tree.find_all(exp.Avg, exp.Sum)):
        node.replace(_system("avg" if isinstance(node, exp.Avg) else "sum", node.this))
    _redshift_only(tree)
    return tree


def _redshift_only(tree: exp.Expression) -> None:
    """Redshift's own constructs, run with their meaning on PostgreSQL.

    - ``LISTAGG([DISTINCT] expr [, delimiter]) [WITHIN GROUP (ORDER BY ...)] [OVER (...)]`` -> ``string_agg``
      of the value as a VARCHAR (the page's example aggregates an INTEGER column); "NULL values and empty
      strings are ignored"; the delimiter "is NULL" when not given (no separator); a result over 65535 bytes
      fails with "Result size exceeds LISTAGG limit" [DG r_LISTAGG.html, r_WF_LISTAGG.html]. DISTINCT:
      "Trailing spaces are ignored ... 'a' and 'a ' are treated as duplicates. LISTAGG uses the first value
      encountered" (same pages) -> ``redshift_system.listagg_distinct`` (sql/system.sql), which keeps the first
      in WITHIN GROUP's order (that this is the order it meets them in is unconfirmed). A third argument is
      refused (the pages' grammar has none; sqlglot would drop it, or take it for the value; wording unconfirmed).
    - ``APPROXIMATE COUNT(DISTINCT expr)`` -> ``COUNT(DISTINCT expr)``: Redshift's is HyperLogLog,
      "a relative error of around 2%" [DG r_COUNT.html]; the rehearsal's is exact.
    - ``MERGE ... WHEN NOT MATCHED THEN INSERT VALUES (...)`` (no column list) is written the way
      PostgreSQL 15+ reads it [DG r_MERGE.html]."""
    for concat in list(tree.find_all(exp.GroupConcat)):  # sqlglot reads LISTAGG(DISTINCT x, ',') as DISTINCT (x, ',')
        inner = concat.this
        extra = concat.args.get("on_overflow")  # LISTAGG(x, ',', y): y, as Trino's ON OVERFLOW would be
        if extra is not None or (isinstance(inner, exp.Distinct) and len(inner.expressions) > 2):
            raise Refused("ERROR: LISTAGG takes one expression and at most one delimiter "
                          "(https://docs.aws.amazon.com/redshift/latest/dg/r_LISTAGG.html)")
        if isinstance(inner, exp.Distinct) and len(inner.expressions) == 2 and concat.args.get("separator") is None:
            concat.set("separator", inner.expressions[1].pop())
    for node in list(tree.find_all(exp.WithinGroup)):
        concat = node.this
        if isinstance(concat, exp.GroupConcat) and isinstance(node.expression, exp.Order):
            order = node.expression.copy()
            order.set("this", concat.this.copy())
            concat.set("this", order)
            node.replace(concat)
    for concat in list(tree.find_all(exp.GroupConcat)):
        _listagg(concat)
    for node in list(tree.find_all(exp.ApproxDistinct)):
        node.replace(exp.Count(this=exp.Distinct(expressions=[node.this.copy()])))
    for when in list(tree.find_all(exp.When)):
        then = when.args.get("then")
        if isinstance(then, exp.Insert) and isinstance(then.this, exp.Tuple) and then.this.expressions and \
                isinstance(then.this.expressions[0], exp.Anonymous) and then.this.expressions[0].name.upper() == "VALUES":
            values = ", ".join(e.sql("postgres") for e in then.this.expressions[0].expressions)
            then.replace(exp.Var(this=f"INSERT VALUES ({values})"))


def _listagg(concat: exp.GroupConcat) -> None:
    """One LISTAGG (its WITHIN GROUP's order already inside it, as ``Order(this=value)``) as PostgreSQL
    computes it: the rules are :func:`_redshift_only`'s."""
    inner = concat.this
    order = inner.copy() if isinstance(inner, exp.Order) else None
    if order is not None:
        inner = inner.this
    window = concat.parent if isinstance(concat.parent, exp.Window) else None
    if window is not None and order is not None:
        # PostgreSQL orders no aggregate of a window: the window orders its rows, its frame all of them
        window.set("order", exp.Order(expressions=order.expressions))
        window.set("spec", exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="UNBOUNDED",
                                          end_side="FOLLOWING"))
        order = None
    distinct = isinstance(inner, exp.Distinct)
    value = exp.Nullif(this=exp.cast((inner.expressions[0] if distinct else inner).copy(), "VARCHAR"),
                       expression=exp.Literal.string(""))
    separator = concat.args.get("separator") or exp.Literal.string("")
    if distinct:  # the order goes after the last argument, as in string_agg(value, delimiter ORDER BY ...)
        call = _system("listagg_distinct", value, _ordered(order, separator))
    else:
        call = exp.GroupConcat(this=_ordered(order, value), separator=separator)
    concat.replace(call)
    (window or call).replace(_system("listagg_limit", (window or call).copy()))


def _ordered(order: exp.Order | None, last: exp.Expression) -> exp.Expression:
    """``last ORDER BY ...`` (``last`` alone without an order)."""
    if order is None:
        return last
    order.set("this", last)
    return order
