"""A trigram index for the register's name search, on PostgreSQL only.

``name__icontains`` becomes ``UPPER(name::text) LIKE UPPER('%…%')``, which no btree can
serve; with 100,000 residents the search walked the whole village (make bench-console:
145 ms). pg_trgm ships with PostgreSQL's contrib package; where the extension cannot be
created (no rights), the search still works, only slower.
"""

from django.db import migrations, transaction

INDEX = "resident_name_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                # A savepoint, so a refused CREATE EXTENSION leaves the migration usable.
                with transaction.atomic(using=connection.alias), connection.cursor() as inner:
                    inner.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no rights to add the extension: skip the index
                return
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON residents_resident "
            "USING gin ((UPPER(name::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("residents", "0003_resident_resident_by_name_and_more")]

    operations = [migrations.RunPython(create, drop)]
