"""Fast inserts of many rows: ``COPY … FROM STDIN`` on PostgreSQL, ``bulk_create``
elsewhere. Used by the monthly recompute and by ``generate_synthetic``; rows are tuples
in the order of ``columns`` (attnames, e.g. ``site_id``)."""

import datetime
import decimal
import io
import json
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils import timezone

COPY_CHUNK = 20_000


def _copy_value(value) -> str:
    kind = type(value)
    if kind is int or kind is decimal.Decimal:
        return str(value)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _defaults(model, columns):
    """Columns the caller left out, with the model's defaults (COPY applies none: Django
    keeps defaults in Python, not in the database)."""
    now = timezone.now()
    extra = {}
    for f in model._meta.concrete_fields:
        if f.attname in columns or f.name in columns or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            extra[f.attname] = now
        else:
            extra[f.attname] = f.get_default()
    return extra


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` into ``model``'s table; returns the number of rows. Columns left
    out get the model's default."""
    extra = _defaults(model, columns)
    if extra:
        columns = (*columns, *extra)
        tail = tuple(extra.values())
        rows = (tuple(row) + tail for row in rows)
    if connection.vendor == "postgresql":
        return _copy(model, columns, rows)
    count = 0
    batch = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) >= 2000:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        count += len(batch)
    return count


def _copy(model, columns, rows) -> int:
    qn = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        qn(model._meta.db_table), ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    )
    count = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        for row in rows:
            buffer.write("\t".join(_copy_value(v) for v in row))
            buffer.write("\n")
            count += 1
            if count % COPY_CHUNK == 0:
                _flush(cursor, sql, buffer)
                buffer = io.StringIO()
        if buffer.tell():
            _flush(cursor, sql, buffer)
    return count


def _flush(cursor, sql, buffer):
    buffer.seek(0)
    cursor.cursor.copy_expert(sql, buffer)  # psycopg2's cursor under Django's wrapper
