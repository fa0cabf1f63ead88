"""Direct inserts for hot paths, without the ORM's per-instance machinery.

``insert_row`` prepares every value with its model field (so types and JSON are exactly what
the ORM would write) and issues a single ``INSERT … RETURNING pk``, optionally
``ON CONFLICT (field) DO NOTHING`` (PostgreSQL, SQLite ≥ 3.35). ``insert_rows`` does the same
for many rows in one multi-row statement per chunk; ``update_each`` sets different values on
many rows by primary key in one ``executemany``. Signals do not fire.
"""

from django.db import connections, router


def insert_row(model, values: dict, *, skip_conflict_on: str | None = None):
    """Insert one row; return its primary key, or None when ``skip_conflict_on`` matched."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [(name, model._meta.get_field(name)) for name in values]
    columns = ", ".join(quote(field.column) for _, field in fields)
    params = [field.get_db_prep_save(values[name], connection) for name, field in fields]
    conflict = ""
    if skip_conflict_on:
        conflict = (
            f" ON CONFLICT ({quote(model._meta.get_field(skip_conflict_on).column)}) DO NOTHING"
        )
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}){conflict} "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


# Bound parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
MAX_ROWS_PER_INSERT = 500


def insert_rows(model, rows: list[dict], *, skip_conflict_on=None, returning=None) -> list:
    """Insert ``rows`` (dicts with the same keys) with one multi-row ``INSERT`` per
    ``MAX_ROWS_PER_INSERT`` rows. Returns the ``returning`` columns (a tuple of field names) of
    the rows actually inserted, as tuples; with ``skip_conflict_on`` (a field, or the fields
    of a unique constraint), rows whose value is already stored (or repeated earlier in
    ``rows``) are skipped. Row order of the result is
    not guaranteed: return a key with the pk."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(quote(field.column) for field in fields)
    conflict = ""
    if skip_conflict_on:
        unique = [skip_conflict_on] if isinstance(skip_conflict_on, str) else skip_conflict_on
        target = ", ".join(quote(model._meta.get_field(name).column) for name in unique)
        conflict = f" ON CONFLICT ({target}) DO NOTHING"
    back = ""
    if returning:
        back = " RETURNING " + ", ".join(
            quote(model._meta.get_field(name).column) for name in returning
        )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    found = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
            chunk = rows[start : start + MAX_ROWS_PER_INSERT]
            params = [
                field.get_db_prep_save(row[name], connection)
                for row in chunk
                for name, field in zip(names, fields, strict=True)
            ]
            # Only quoted identifiers are interpolated; every value is a parameter.
            sql = (
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))}{conflict}{back}"
            )
            cursor.execute(sql, params)
            if returning:
                found += [tuple(row) for row in cursor.fetchall()]
    return found


def update_each(model, names: list[str], rows: list[tuple]) -> None:
    """``UPDATE … SET name = value, … WHERE pk = …`` for each ``(pk, *values)`` in ``rows``,
    as one ``executemany`` (psycopg pipelines it): the statement is built once, not compiled
    by the ORM for every row, and values are prepared by their model fields."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only quoted identifiers are interpolated; every value is a parameter.
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {sets} "  # noqa: S608
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)
        ]
        + [pk]
        for pk, *values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
