"""The table of child runs: sorting, filtering and pagination, done by SQLite.

A page is one query with ``LIMIT`` and ``OFFSET`` plus one ``COUNT``, so a sweep of 10,000 runs
costs a few tens of milliseconds per page. Hyperparameters are read from the JSON column with
``json_each``, whose keys are bound parameters, so any parameter name works in a query.

Filter expressions (for a hyperparameter or the metric): ``a..b`` (inclusive range), ``>=a``,
``>a``, ``<=a``, ``<a``, ``=v`` or ``v``. ``v`` compares numerically when it is a number and
otherwise matches a string value exactly. ``true``, ``false`` and ``null`` (or ``True``,
``False``, ``None``) match those JSON values.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from hypersweep.dashboard.reader import Snapshot
from hypersweep.dashboard.space import display_value
from hypersweep.enums import PrimaryMetricGoal, RunStatus
from hypersweep.store import ParentRunRecord

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Condition",
    "TableQuery",
    "all_rows",
    "format_duration",
    "format_score",
    "parse_condition",
    "query_table",
]

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
SORT_KEYS = ("number", "status", "started", "duration", "score", "reason")
"""Sort keys besides ``param:NAME``, which sorts by one hyperparameter."""

_PARAM_PREFIX = "param:"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*$", re.IGNORECASE)
_COMPARISON = re.compile(rf"^\s*(>=|<=|>|<)\s*({_NUMBER})\s*$", re.IGNORECASE)
_LITERALS: dict[str, Literal["true", "false", "null"]] = {
    "true": "true", "false": "false", "null": "null", "none": "null",
}

# The "why it ended" column: the early termination sentence, else the recorded reason.
_REASON_SQL = "COALESCE(json_extract(c.termination, '$.message'), c.reason)"
_PARAM_SQL = "(SELECT value FROM json_each(c.hyperparameters) WHERE key = ?)"


@dataclasses.dataclass(frozen=True)
class Condition:
    """A parsed filter expression: ``op`` is one of ``range >= > <= < = text literal``."""

    op: str
    value: Any = None
    upper: Any = None


def parse_condition(text: str) -> Condition:
    """Parse a filter expression (see the module documentation); raise ValueError if empty."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("The filter expression is empty; give a value, a range such as "
                         "0.1..0.5, or a comparison such as >=0.9.")

    match = _RANGE.match(stripped)
    if match:
        low, high = float(match.group(1)), float(match.group(2))
        return Condition("range", min(low, high), max(low, high))

    match = _COMPARISON.match(stripped)
    if match:
        return Condition(match.group(1), float(match.group(2)))

    value = stripped[1:].strip() if stripped.startswith("=") else stripped
    try:
        return Condition("=", float(value))
    except ValueError:
        pass

    if value.lower() in _LITERALS:
        return Condition("literal", _LITERALS[value.lower()])
    return Condition("text", value)


@dataclasses.dataclass(frozen=True)
class TableQuery:
    """One page of the child run table: sort key and order, filters, page number and size.

    ``order=None`` sorts the metric best first and everything else ascending. Filters are a
    status, an expression on one hyperparameter (``param`` and ``param_filter``) and an
    expression on the best primary metric value (``score_filter``).
    """

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "score"
    order: Literal["asc", "desc"] | None = None
    status: RunStatus | None = None
    param: str | None = None
    param_filter: Condition | None = None
    score_filter: Condition | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str], names: Sequence[str]) -> TableQuery:
        """Read a query from URL parameters; raise ValueError naming a bad one.

        ``names`` are the sweep's hyperparameters, the only ones a query may sort or filter by.
        """
        page = _int_param(params, "page", 1, minimum=1)
        page_size = _int_param(params, "page_size", DEFAULT_PAGE_SIZE, minimum=1,
                               maximum=MAX_PAGE_SIZE)

        sort = params.get("sort") or "score"
        if sort not in SORT_KEYS and not (sort.startswith(_PARAM_PREFIX)
                                          and sort[len(_PARAM_PREFIX):] in names):
            choices = ", ".join([*SORT_KEYS, *(_PARAM_PREFIX + name for name in names)])
            raise ValueError(f"sort={sort!r} is invalid; use one of {choices}.")

        order_text = params.get("order") or None
        order: Literal["asc", "desc"] | None = None
        if order_text == "asc":
            order = "asc"
        elif order_text == "desc":
            order = "desc"
        elif order_text is not None:
            raise ValueError(f"order={order_text!r} is invalid; use asc or desc.")

        status_text = params.get("status") or None
        status = None
        if status_text is not None:
            try:
                status = RunStatus(status_text)
            except ValueError:
                choices = ", ".join(item.value for item in RunStatus)
                raise ValueError(f"status={status_text!r} is invalid; use one of {choices}."
                                 ) from None

        param = params.get("param") or None
        if param is not None and param not in names:
            raise ValueError(f"param={param!r} is not a hyperparameter of this sweep; use one "
                             f"of {', '.join(map(repr, names))}.")

        param_text = params.get("value") or ""
        param_filter = parse_condition(param_text) if param and param_text.strip() else None
        score_text = params.get("score") or ""
        score_filter = parse_condition(score_text) if score_text.strip() else None
        if score_filter is not None and score_filter.op in ("text", "literal"):
            raise ValueError(f"score={score_text!r} is invalid; the metric filter takes a "
                             "number, a range such as 0.1..0.5 or a comparison such as >=0.9.")

        return cls(page, page_size, sort, order, status, param, param_filter, score_filter)


def query_table(snapshot: Snapshot, parent: ParentRunRecord, names: Sequence[str],
                query: TableQuery, *, now: float | None = None) -> dict[str, Any]:
    """Return one page of the child run table as a JSON-ready mapping.

    The mapping has ``rows`` (see :func:`all_rows` for their fields), ``total`` (child runs of
    the sweep), ``matched`` (runs that pass the filters), ``page``, ``pages``, ``page_size``,
    ``sort``, ``order`` and ``columns`` (the hyperparameter names).
    """
    now = time.time() if now is None else now
    where, where_parameters = _where(parent.run_id, query)
    (matched,) = snapshot.fetch_all(f"SELECT COUNT(*) FROM child_runs c WHERE {where}",
                                    where_parameters)[0]
    (total,) = snapshot.fetch_all("SELECT COUNT(*) FROM child_runs WHERE parent_id = ?",
                                  (parent.run_id,))[0]

    pages = max(1, math.ceil(matched / query.page_size))
    page = min(query.page, pages)
    order = query.order or _natural_order(query.sort, parent.goal)
    order_by, order_parameters = _order_by(query.sort, order, now)
    rows = snapshot.fetch_all(
        f"{_SELECT} WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?",
        (*where_parameters, *order_parameters, query.page_size, (page - 1) * query.page_size),
    )
    return {
        "rows": [_row(row, names, now) for row in rows],
        "total": total,
        "matched": matched,
        "page": page,
        "pages": pages,
        "page_size": query.page_size,
        "sort": query.sort,
        "order": order,
        "columns": list(names),
    }


def all_rows(snapshot: Snapshot, parent: ParentRunRecord, names: Sequence[str], *,
             now: float | None = None) -> list[dict[str, Any]]:
    """Return every child run of a sweep as a table row, in start order.

    A row has ``run_id``, ``number``, ``status``, ``started_at``, ``duration`` (seconds or None)
    and ``duration_text``, ``score`` (finite or None) and ``score_text``, ``params`` (display
    text per hyperparameter), ``values`` (the raw values) and ``reason`` (why it ended early).
    """
    now = time.time() if now is None else now
    rows = snapshot.fetch_all(f"{_SELECT} WHERE c.parent_id = ? ORDER BY c.number",
                              (parent.run_id,))
    return [_row(row, names, now) for row in rows]


def format_score(value: float | None) -> str:
    """Format a metric value for a table cell; ``-`` when there is none."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def format_duration(seconds: float | None) -> str:
    """Format a duration in seconds as ``12.3s``, ``4m05s`` or ``1h02m03s``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    minutes, whole_seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{whole_seconds:02d}s"
    return f"{minutes}m{whole_seconds:02d}s"


_SELECT = (
    "SELECT c.run_id, c.number, c.status, c.started_at, c.ended_at, c.best_score, "
    f"c.hyperparameters, {_REASON_SQL} FROM child_runs c"
)


def _int_param(params: Mapping[str, str], name: str, default: int, *, minimum: int,
               maximum: int | None = None) -> int:
    text = params.get(name) or ""
    if not text.strip():
        return default

    accepted = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum else "")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is invalid; use {accepted}.") from None

    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name}={value} is invalid; use {accepted}.")
    return value


def _row(row: Sequence[Any], names: Sequence[str], now: float) -> dict[str, Any]:
    run_id, number, status, started_at, ended_at, score, parameters, reason = row
    values = json.loads(parameters)
    duration = None
    if started_at is not None:
        end = ended_at if ended_at is not None else now
        duration = end - started_at
    finite_score = score if score is not None and math.isfinite(score) else None
    return {
        "run_id": run_id,
        "number": number,
        "status": status,
        "started_at": started_at,
        "duration": duration,
        "duration_text": format_duration(duration),
        "score": finite_score,
        "score_text": format_score(score),
        "params": {name: display_value(values[name]) if name in values else "-"
                   for name in names},
        "values": {name: values.get(name) for name in names},
        "reason": reason or "",
    }


def _where(parent_id: str, query: TableQuery) -> tuple[str, list[object]]:
    clauses = ["c.parent_id = ?"]
    parameters: list[object] = [parent_id]

    if query.status is not None:
        clauses.append("c.status = ?")
        parameters.append(query.status.value)

    if query.param is not None and query.param_filter is not None:
        clause, clause_parameters = _param_clause(query.param, query.param_filter)
        clauses.append(clause)
        parameters.extend(clause_parameters)

    if query.score_filter is not None:
        clause, clause_parameters = _numeric_clause("c.best_score", [], query.score_filter)
        clauses.append(clause)
        parameters.extend(clause_parameters)

    return " AND ".join(clauses), parameters


def _param_clause(name: str, condition: Condition) -> tuple[str, list[object]]:
    if condition.op == "text":
        return ("EXISTS (SELECT 1 FROM json_each(c.hyperparameters) "
                "WHERE key = ? AND type = 'text' AND value = ?)", [name, condition.value])

    if condition.op == "literal":
        return ("EXISTS (SELECT 1 FROM json_each(c.hyperparameters) "
                "WHERE key = ? AND type = ?)", [name, condition.value])

    numeric = "(SELECT value FROM json_each(c.hyperparameters) " \
              "WHERE key = ? AND type IN ('integer', 'real'))"
    return _numeric_clause(numeric, [name], condition)


def _numeric_clause(expression: str, expression_parameters: list[object],
                    condition: Condition) -> tuple[str, list[object]]:
    if condition.op == "range":
        return (f"{expression} BETWEEN ? AND ?",
                [*expression_parameters, condition.value, condition.upper])

    operator = "=" if condition.op == "=" else condition.op
    return f"{expression} {operator} ?", [*expression_parameters, condition.value]


def _natural_order(sort: str, goal: PrimaryMetricGoal) -> Literal["asc", "desc"]:
    if sort == "score":
        return "desc" if goal is PrimaryMetricGoal.MAXIMIZE else "asc"
    return "asc"


def _order_by(sort: str, order: str, now: float) -> tuple[str, list[object]]:
    """Return the ORDER BY clause; rows without a value go last in both orders."""
    direction = "DESC" if order == "desc" else "ASC"
    parameters: list[object] = []
    if sort.startswith(_PARAM_PREFIX):
        expression = _PARAM_SQL
        parameters = [sort[len(_PARAM_PREFIX):]] * 2
    else:
        expression = {
            "number": "c.number",
            "status": "c.status",
            "started": "c.started_at",
            "duration": "(COALESCE(c.ended_at, ?) - c.started_at)",
            "score": "c.best_score",
            "reason": _REASON_SQL,
        }[sort]
        if sort == "duration":
            parameters = [now, now]
        if sort == "reason":
            expression = f"NULLIF({expression}, '')"

    return f"({expression}) IS NULL, {expression} {direction}, c.number ASC", parameters
