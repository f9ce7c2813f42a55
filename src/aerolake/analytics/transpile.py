"""DuckDB SQL -> Spark SQL: sqlglot's transpiler plus the rewrites that make results identical.

The models in ``analytics/sql/`` are written in DuckDB's dialect; :func:`to_spark` turns one
rendered model into Spark SQL. sqlglot translates names and syntax (``QUALIFY`` to a subquery,
``//`` to ``DIV``, ``GENERATE_SERIES`` to ``SEQUENCE``, ``STRING_AGG`` to ``LISTAGG``, ``LIST``
to ``COLLECT_LIST``, null ordering made explicit, ...) and raises on what it cannot translate.
Where the translation is valid Spark but *means* something else, a rewrite restores DuckDB's
meaning (each one is a function below, with its reason):

- ``MIN_BY/MAX_BY(x, k)``: DuckDB skips rows where ``x`` is null, Spark only rows where ``k``
  is null -> ``MIN_BY(x, CASE WHEN x IS NOT NULL THEN k END)``.
- ``ROUND(x, n)`` on doubles: Spark rounds the shortest decimal text of ``x`` half-up
  (``ROUND(2.675, 2)`` = 2.68), DuckDB rounds ``x * 10^n`` in binary (2.67) -> the same
  arithmetic written out, so rounded floats are bit-identical.
- ``TO_TIMESTAMP(s)``: sqlglot writes ``CAST(FROM_UNIXTIME(s) AS TIMESTAMP)``, which formats to
  text in whole seconds and parses back -> ``TIMESTAMP_SECONDS(s)`` (exact, time-zone free).
- ``EPOCH(t)``: DuckDB gives fractional seconds (DOUBLE), Spark's ``UNIX_TIMESTAMP`` whole
  seconds -> ``UNIX_MICROS(CAST(t AS TIMESTAMP)) / 1e6``; ``EPOCH_US(t)`` -> ``UNIX_MICROS``.
- ``STRFTIME(t, '%...')``: sqlglot leaves literal letters unquoted (``T``, ``Z`` are pattern
  letters in Spark) -> a ``DATE_FORMAT`` pattern with literal text quoted.
- ``LOG(x)`` is log10 in DuckDB and ln in Spark -> ``LOG10(x)``.
- ``QUANTILE_CONT(x, q)`` / ``MEDIAN(x)``: sqlglot's ``PERCENTILE_CONT(x, q)`` is not Spark
  syntax -> ``PERCENTILE(x, q)`` (exact, linearly interpolated, as DuckDB); ``QUANTILE_DISC``
  -> ``PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)``.
- ``a / 2.0``: a literal with a decimal point is DECIMAL in both engines, but DuckDB divides in
  DOUBLE while Spark keeps DECIMAL (a different result type, rounded quotients) -> the literal
  is cast to DOUBLE inside a division.
- ``MAKE_TIMESTAMP(y, m, d, h, mi, s)`` returns DuckDB's zone-less TIMESTAMP
  -> ``MAKE_TIMESTAMP_NTZ``.

Known differences that no rewrite removes (write models to avoid them): division by zero is
±inf/NaN in DuckDB and an error in Spark (ANSI mode) - guard divisors with ``NULLIF(b, 0)``;
``FLOOR``/``CEIL`` of a DOUBLE are DOUBLE in DuckDB and BIGINT in Spark, ``SUM`` of integers is
HUGEINT in DuckDB and BIGINT in Spark, ``AVG`` of a DECIMAL is DOUBLE in DuckDB and DECIMAL in
Spark - cast such outputs; ``EPOCH_MS(x)`` is read as "milliseconds to timestamp"; sums of
floats depend on the order of addition and trigonometric functions may differ in the last bit
(Java's ``Math`` versus the C library) - round aggregated floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

#: DuckDB ``strftime`` codes -> Java ``DateTimeFormatter`` letters (as Spark's DATE_FORMAT).
_STRFTIME: Final[dict[str, str]] = {
    "Y": "yyyy",
    "y": "yy",
    "m": "MM",
    "-m": "M",
    "d": "dd",
    "-d": "d",
    "H": "HH",
    "-H": "H",
    "I": "hh",
    "-I": "h",
    "M": "mm",
    "-M": "m",
    "S": "ss",
    "-S": "s",
    "f": "SSSSSS",
    "g": "SSS",
    "n": "SSSSSSSSS",
    "j": "DDD",
    "a": "EEE",
    "A": "EEEE",
    "b": "MMM",
    "B": "MMMM",
    "p": "a",
    "z": "xx",
}
_CODE = re.compile(r"%(-?[A-Za-z%])")
#: Characters that stand for themselves in a Java date pattern without quoting.
_PLAIN = re.compile(r"^[ \-:/.,_]*$")
_DECIMAL_LITERAL = re.compile(r"^\d*\.\d*$")


@dataclass(frozen=True)
class SparkStep:
    """One Spark statement of a model: a CTE to register as view ``view``, or (``view`` None)
    the final query. ``reused``: the view is read more than once, so it is worth caching."""

    view: str | None
    sql: str
    reused: bool = False


def to_spark(sql: str) -> str:
    """The Spark SQL of one DuckDB statement (a rendered model). Pure.

    Raises ValueError naming the construct when sqlglot cannot translate it or the statement
    is not exactly one query.
    """
    return _generate(_parse(sql))


def to_spark_steps(sql: str, prefix: str) -> list[SparkStep]:
    """:func:`to_spark` with the top-level CTEs split out as views named ``prefix + name``. Pure.

    Spark inlines a CTE at every reference, so a CTE read three times is computed three times
    (with all its window functions); as views, the adapter can cache the reused ones. Falls
    back to one step when the CTEs are recursive or their names are not unique in the query.
    """
    tree = _parse(sql)
    with_ = tree.args.get("with_")
    if not isinstance(with_, exp.With) or with_.args.get("recursive"):
        return [SparkStep(None, _generate(tree))]
    names = [cte.alias for cte in with_.expressions]
    nested = [cte.alias for w in tree.find_all(exp.With) if w is not with_ for cte in w.expressions]
    if len(set(names)) != len(names) or set(names) & set(nested):
        return [SparkStep(None, _generate(tree))]
    refs = dict.fromkeys(names, 0)
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name in refs:
            refs[table.name] += 1
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(prefix + table.name))
    steps = [
        SparkStep(prefix + cte.alias, _generate(cte.this), refs[cte.alias] > 1)
        for cte in with_.expressions
    ]
    with_.pop()
    return [*steps, SparkStep(None, _generate(tree))]


def _parse(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as exc:
        raise ValueError(f"cannot parse the model as DuckDB SQL: {exc}") from exc
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, found {len(statements)}")
    return _rewrite_all(statements[0])


def _generate(tree: exp.Expr) -> str:
    try:
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE, comments=False)
    except SqlglotError as exc:
        raise ValueError(f"cannot translate DuckDB SQL to Spark: {exc}") from exc


def _rewrite_all(tree: exp.Expr) -> exp.Expr:
    """Apply :func:`_rewrite` bottom-up: every node after its children, each exactly once."""
    for node in reversed(list(tree.walk(bfs=False))):
        new = _rewrite(node)
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        return _arg_min_max(node)
    if isinstance(node, exp.Round):
        return _round(node)
    if isinstance(node, exp.UnixToTime):
        return _unix_to_time(node)
    if isinstance(node, exp.TimeToUnix):
        micros = _call("UNIX_MICROS", exp.cast(node.this, exp.DataType.Type.TIMESTAMPTZ))
        return exp.Div(this=micros, expression=exp.Literal.number("1e6"))
    if isinstance(node, exp.Anonymous) and node.name.upper() == "EPOCH_US":
        return _call("UNIX_MICROS", exp.cast(node.expressions[0], exp.DataType.Type.TIMESTAMPTZ))
    if isinstance(node, exp.TimeToStr):
        return _strftime(node)
    if isinstance(node, exp.Log) and not node.expression:
        return _call("LOG10", node.this)
    if isinstance(node, exp.PercentileCont | exp.Median):
        quantile = node.args.get("expression") or exp.Literal.number("0.5")
        return _call("PERCENTILE", node.this, quantile)
    if isinstance(node, exp.PercentileDisc) and node.args.get("expression") is not None:
        return exp.WithinGroup(
            this=_call("PERCENTILE_DISC", node.expression),
            expression=exp.Order(expressions=[exp.Ordered(this=node.this, nulls_first=True)]),
        )
    if isinstance(node, exp.Div):
        return _double_division(node)
    if isinstance(node, exp.TimestampFromParts) and node.args.get("zone") is None:
        parts = [node.args.get(k) for k in ("year", "month", "day", "hour", "min", "sec")]
        if all(p is not None for p in parts):
            return _call("MAKE_TIMESTAMP_NTZ", *parts)
    return node


def _call(name: str, *args: exp.Expression | None) -> exp.Expression:
    """A Spark function call that sqlglot prints verbatim (no re-interpretation)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _arg_min_max(node: exp.ArgMin | exp.ArgMax) -> exp.Expression:
    if node.args.get("count") is not None:
        raise ValueError("MIN_BY/MAX_BY with a count (a list result) has no Spark equivalent")
    value, key = node.this, node.expression
    guarded = exp.Case(
        ifs=[exp.If(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())), true=key)]
    )
    return type(node)(this=value, expression=guarded)


def _round(node: exp.Round) -> exp.Expression:
    decimals = node.args.get("decimals")
    places = 0 if decimals is None else _int_literal(decimals)
    if not places or places < 0 or places > 15 or _is_exact_number(node.this):
        return node
    scale = exp.Literal.number(f"1e{places}")
    scaled = exp.Mul(this=exp.paren(node.this, copy=False), expression=scale)
    rounded = exp.Round(this=scaled, decimals=exp.Literal.number(0))
    return exp.paren(exp.Div(this=rounded, expression=scale.copy()), copy=False)


def _unix_to_time(node: exp.UnixToTime) -> exp.Expression:
    if node.args.get("scale") is not None or node.args.get("zone") is not None:
        return node  # sqlglot writes TIMESTAMP_MILLIS / TIMESTAMP_MICROS, which are exact
    return _call("TIMESTAMP_SECONDS", node.this)


def _strftime(node: exp.TimeToStr) -> exp.Expression:
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise ValueError("STRFTIME needs a literal format string to be translated to Spark")
    return _call("DATE_FORMAT", node.this, exp.Literal.string(java_date_pattern(fmt.name)))


def java_date_pattern(strftime: str) -> str:
    """A DuckDB ``strftime`` format as a Spark ``date_format`` pattern, literals quoted. Pure.

    ``'%Y-%m-%dT%H:%M:%SZ'`` -> ``"yyyy-MM-dd'T'HH:mm:ss'Z'"``. ValueError on codes without
    an equivalent (``%U``, ``%w``, ...).
    """
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(strftime):
        out.append(_literal(strftime[pos : match.start()]))
        code = match.group(1)
        if code == "%":
            out.append(_literal("%"))
        elif code in _STRFTIME:
            out.append(_STRFTIME[code])
        else:
            raise ValueError(f"strftime code %{code} has no Spark date_format equivalent")
        pos = match.end()
    out.append(_literal(strftime[pos:]))
    return "".join(out)


def _literal(text: str) -> str:
    if _PLAIN.match(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _double_division(node: exp.Div) -> exp.Expression:
    for key in ("this", "expression"):
        operand = node.args[key]
        if _has_decimal_literal(operand):
            node.set(key, exp.cast(operand, exp.DataType.Type.DOUBLE))
    return node


def _has_decimal_literal(node: exp.Expression) -> bool:
    """True if ``node`` is arithmetic over a literal like ``2.0`` (not looking into calls)."""
    if isinstance(node, exp.Literal):
        return not node.is_string and bool(_DECIMAL_LITERAL.match(node.name))
    if isinstance(node, exp.Paren | exp.Neg):
        return _has_decimal_literal(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        return _has_decimal_literal(node.this) or _has_decimal_literal(node.expression)
    return False


def _is_exact_number(node: exp.Expression) -> bool:
    """True if ``node`` is visibly an integer or DECIMAL (ROUND is exact on those in both)."""
    if isinstance(node, exp.Literal):
        return not node.is_string
    if isinstance(node, exp.Cast):
        return node.to.is_type(*exp.DataType.INTEGER_TYPES, exp.DataType.Type.DECIMAL)
    if isinstance(node, exp.Paren | exp.Neg):
        return _is_exact_number(node.this)
    return False


def _int_literal(node: exp.Expression) -> int | None:
    if isinstance(node, exp.Neg):
        inner = _int_literal(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string and node.name.isdigit():
        return int(node.name)
    return None
