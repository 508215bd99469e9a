"""The search's plans on PostgreSQL: one line, one bounded window → only that window's monthly
partitions are read, through the (line_id, started_at, id) index, and a deep page is a keyset
seek, not an OFFSET. Checked with EXPLAIN on the test database (few rows, so index use is
forced the way the planner chooses it on a big table: ``enable_seqscan`` and
``enable_bitmapscan`` off; pruning does not depend on that)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection

from telecom.selectors.calls import (
    NEXT,
    CallFilter,
    Cursor,
    _after,
    call_window,
    calls_page,
    calls_visible,
    cursor_decode,
)
from telecom.selectors.lines import line_access_for
from tests.telecom.test_calls_search import AZAR, at, calls, owner_line

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain(qs) -> list[dict]:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    return list(_nodes(plan))


@pytest.fixture
def year_of_calls():
    user, line = owner_line()
    # One call a week for a year either side of Azar 1403: many partitions exist.
    start = at(dt.date(2024, 1, 1))
    calls(line, *[start + dt.timedelta(days=7 * i) for i in range(104)])
    return line_access_for(user=user, number=line.number)


def test_a_month_reads_only_its_partitions_through_the_line_index(year_of_calls):
    access = year_of_calls
    window = call_window(access=access, flt=AZAR)
    qs = calls_visible(access=access, window=window, flt=AZAR).order_by("-started_at", "-id")[:51]

    nodes = explain(qs)

    scanned = {n["Relation Name"] for n in nodes if "Relation Name" in n}
    # Azar 1403 (Tehran) spans the UTC months 2024-11 and 2024-12 only.
    assert scanned == {"telecom_callrecord_y2024m11", "telecom_callrecord_y2024m12"}
    assert {n["Node Type"] for n in nodes if "Relation Name" in n} == {"Index Scan"}
    indexes = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert indexes == {
        "telecom_callrecord_y2024m11_line_id_started_at_id_idx",
        "telecom_callrecord_y2024m12_line_id_started_at_id_idx",
    }
    assert not any(n["Node Type"] == "Sort" for n in nodes), "the index gives the order"


def test_a_deep_page_is_a_keyset_seek(year_of_calls):
    access = year_of_calls
    flt = CallFilter(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 20))
    page = calls_page(access=access, flt=flt, page_size=10)
    page = calls_page(access=access, flt=flt, cursor=page.next_cursor, page_size=10)
    window = call_window(access=access, flt=flt)
    last = page.rows[-1]
    position = cursor_decode(
        Cursor(access.line.pk, last.started_at, last.id, NEXT).encode(), access=access
    )
    qs = _after(calls_visible(access=access, window=window, flt=flt), position)
    qs = qs.order_by("-started_at", "-id")[:11]
    sql, _params = qs.query.sql_with_params()
    assert "OFFSET" not in sql.upper()

    nodes = explain(qs)

    scans = [n for n in nodes if "Relation Name" in n]
    assert scans and all(n["Node Type"] == "Index Scan" for n in scans)
    conds = " ".join(n.get("Index Cond", "") for n in scans)
    assert "line_id" in conds and "started_at <=" in conds
