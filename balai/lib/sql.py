"""One-row inserts for hot paths, without the ORM's per-instance machinery.

``insert_row`` prepares every value with its model field (so types and JSON are exactly what
the ORM would write) and issues a single ``INSERT … RETURNING pk``, optionally
``ON CONFLICT (field) DO NOTHING`` (PostgreSQL, SQLite ≥ 3.35). Signals do not fire.
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
