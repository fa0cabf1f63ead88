"""``balai rotate_keys``: re-encrypt every encrypted field under the first key.

Rotation: put the new key first in ``FIELD_ENCRYPTION_KEY`` ("new,old"), restart, run this
command, then remove the old key. Until it finishes every key still decrypts, and NIK
lookups try every key's hash, so the service runs on throughout.

Every ``EncryptedCharField`` and ``EncryptedJSONField`` of every installed model is found
by introspection (a new one is never missed), with the keyed lookup hashes a model declares
in ``lookup_hash_fields`` (e.g. ``Resident.nik_hash`` ← ``nik``), which depend on the first
key too. Rows are read and written in batches by primary key, each batch in its own
transaction; a row is written only if its columns still hold what was read (a
compare-and-set), so a concurrent edit is never overwritten. Rows already under the first
key are skipped, so the command is idempotent and an interrupted run is resumed by running
it again. ``--dry-run`` counts without writing.
"""

from collections import defaultdict

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, transaction

from balai.lib import crypto

ENCRYPTED = (crypto.EncryptedCharField, crypto.EncryptedJSONField)


def encrypted_models() -> list[tuple[type, list, dict[str, str]]]:
    """(model, encrypted fields, {hash field: source field}) for every model holding any."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, ENCRYPTED)]
        if fields:
            found.append((model, fields, dict(getattr(model, "lookup_hash_fields", {}))))
    return found


class Command(BaseCommand):
    help = "Re-encrypt NIK/KK, tokens and other encrypted fields with the first key."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run=False, batch_size=500, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        from django.conf import settings

        keys = len(settings.FIELD_ENCRYPTION_KEYS)
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{keys} key(s) configured; encrypting with the first."
        )
        totals = defaultdict(int)
        for model, fields, hashes in encrypted_models():
            stats = self.rotate_model(model, fields, hashes, dry_run, batch_size)
            for name, value in stats.items():
                totals[name] += value
            self.stdout.write(
                f"{model._meta.label}: {stats['rows']} rows, "
                f"{stats['reencrypted']} values re-encrypted, "
                f"{stats['hashes']} lookup hashes recomputed"
                + (f", {stats['changed']} changed meanwhile" if stats["changed"] else "")
                + (f", {stats['conflicts']} hash conflicts" if stats["conflicts"] else "")
                + (f", {stats['unreadable']} UNREADABLE" if stats["unreadable"] else "")
            )
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"Total: {totals['reencrypted']} values and {totals['hashes']} hashes {verb} rewritten."
        )
        if totals["unreadable"]:
            raise CommandError(
                f"{totals['unreadable']} values open with none of the configured keys: add the "
                "key they were written with to FIELD_ENCRYPTION_KEY and run again."
            )
        if totals["changed"] or totals["conflicts"]:
            self.stdout.write(
                "Some rows were not rewritten (edited meanwhile, or two rows now share a "
                "lookup hash: merge those residents); run the command again."
            )
        elif not dry_run:
            self.stdout.write(
                "Done: every encrypted value is under the first key; keys after it can now be "
                "removed from FIELD_ENCRYPTION_KEY."
            )

    def rotate_model(self, model, fields, hashes, dry_run, batch_size) -> dict[str, int]:
        meta = model._meta
        quote = connection.ops.quote_name
        pk = meta.pk.column
        columns = [f.column for f in fields]
        hash_columns = {
            meta.get_field(h).column: meta.get_field(s).column for h, s in hashes.items()
        }
        read = [pk, *columns, *hash_columns]
        select = "SELECT {} FROM {}".format(  # noqa: S608 - names from the model, not input
            ", ".join(quote(c) for c in read), quote(meta.db_table)
        )
        stats = defaultdict(int)
        last = None
        while True:
            sql = select + (f" WHERE {quote(pk)} > %s" if last is not None else "")
            sql += f" ORDER BY {quote(pk)} LIMIT %s"
            with connection.cursor() as cursor:
                cursor.execute(sql, [last, batch_size] if last is not None else [batch_size])
                rows = cursor.fetchall()
            if not rows:
                return stats
            last = rows[-1][0]
            stats["rows"] += len(rows)
            writes = []
            for row in rows:
                values = dict(zip(read, row, strict=True))
                changes = self.plan_row(fields, hash_columns, values, stats)
                if changes:
                    writes.append((values, changes))
            if writes and not dry_run:
                write_batch(meta, pk, columns, writes, stats)

    def plan_row(self, fields, hash_columns, values, stats) -> dict[str, str]:
        """The columns of one row to rewrite, with their new values."""
        changes = {}
        plain = {}
        first = crypto.current_fernet()
        for field in fields:
            raw = values[field.column]
            if raw in (None, ""):
                plain[field.column] = ""
                continue
            if isinstance(field, crypto.EncryptedJSONField) and not raw.startswith("gAAAA"):
                plain[field.column] = raw  # written before the column was encrypted
                changes[field.column] = crypto.encrypt(raw)
                stats["reencrypted"] += 1
                continue
            try:
                plain[field.column] = first.decrypt(raw.encode()).decode()
                continue  # already under the first key
            except InvalidToken:
                pass
            try:
                plain[field.column] = crypto.decrypt(raw)
                changes[field.column] = crypto.rotate(raw)
                stats["reencrypted"] += 1
            except ValueError:
                stats["unreadable"] += 1
                plain[field.column] = None
        for hash_column, source in hash_columns.items():
            value = plain.get(source)
            if value is None:
                continue
            wanted = crypto.lookup_hash(value) if value else ""
            if values[hash_column] != wanted:
                changes[hash_column] = wanted
                stats["hashes"] += 1
        return changes


def write_batch(meta, pk, columns, writes, stats) -> None:
    """One transaction per batch; each row only if its encrypted columns still hold what
    was read (compare-and-set), each in a savepoint so a unique clash skips one row."""
    quote = connection.ops.quote_name
    with transaction.atomic():
        for values, changes in writes:
            where = [f"{quote(pk)} = %s"]
            params = [values[pk]]
            for column in columns:
                if values[column] is None:
                    where.append(f"{quote(column)} IS NULL")
                else:
                    where.append(f"{quote(column)} = %s")
                    params.append(values[column])
            sql = "UPDATE {} SET {} WHERE {}".format(  # noqa: S608 - names from the model
                quote(meta.db_table),
                ", ".join(f"{quote(c)} = %s" for c in changes),
                " AND ".join(where),
            )
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [*changes.values(), *params])
                    if cursor.rowcount == 0:
                        stats["changed"] += 1
            except IntegrityError:
                stats["conflicts"] += 1
