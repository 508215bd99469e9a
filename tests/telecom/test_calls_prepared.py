"""The search's prepared page statement is the ORM's own statement: for every shape (call
types, other number, cursor direction, totals) the SQL and parameters it runs equal what the
querysets of ``telecom.selectors.calls`` compile to with the request's values, and a
placeholder can never reach the SQL text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from telecom.models import CallRecord
from telecom.selectors import calls as selectors
from telecom.selectors.calls import NEXT, PREVIOUS, ROW_FIELDS, Cursor
from telecom.selectors.lines import TEHRAN

pytestmark = pytest.mark.django_db

START = dt.datetime(2024, 11, 21, tzinfo=TEHRAN)
END = dt.datetime(2024, 12, 21, tzinfo=TEHRAN)
AT = dt.datetime(2024, 12, 3, 9, 30, 15, 123456, tzinfo=TEHRAN)


def _orm(*, types, other, position, page_size, totals):
    filtered = selectors._visible(line_id=42, start=START, end=END, types=types, other_number=other)
    qs = selectors._after(filtered, position) if position else filtered
    backwards = position is not None and position.direction == PREVIOUS
    order = ("started_at", "id") if backwards else ("-started_at", "-id")
    page = qs.order_by(*order)[: page_size + 1].values_list(*ROW_FIELDS)
    sql, params = page.query.get_compiler(connection.alias).as_sql()
    if totals:
        agg = filtered.values("duration_s", "cost_rial").query.get_compiler(connection.alias)
        agg_sql, agg_params = agg.as_sql()
        sql = selectors._with_totals_sql(agg_sql, sql, backwards=backwards)
        params = (*agg_params, *params)
    return sql, list(params)


@pytest.mark.parametrize("types", [("mobile",), ("intercity", "mobile", "international", "smart")])
@pytest.mark.parametrize("other", ["", "09121234567"])
@pytest.mark.parametrize("direction", [None, NEXT, PREVIOUS])
@pytest.mark.parametrize("totals", [False, True])
def test_prepared_statement_is_the_orm_statement(types, other, direction, totals):
    position = Cursor(42, AT, 9001, direction) if direction else None
    shape = selectors._Shape(
        alias=connection.alias,
        types=len(types),
        other=bool(other),
        direction=direction,
        page_size=50,
        totals=totals,
    )
    statement = selectors._page_statement(shape)
    adapt = connection.ops.adapt_datetimefield_value
    values = {
        "line": 42,
        "start": adapt(START),
        "end": adapt(END),
        **{("type", i): t for i, t in enumerate(types)},
        "other": other,
        "cursor_at": adapt(AT),
        "cursor_id": 9001,
    }
    params = [values[name] if name is not None else value for name, value in statement.slots]
    assert (statement.sql, params) == _orm(
        types=types, other=other, position=position, page_size=50, totals=totals
    )
    assert "\x00" not in statement.sql and "-917000000000" not in statement.sql
    assert CallRecord._meta.db_table in statement.sql
