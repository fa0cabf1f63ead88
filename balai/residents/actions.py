"""Writes on the resident register (``do_*``: each owns its transaction and its audit event).

- ``do_import_residents``: write a checked import plan (``balai.residents.importer``).
- ``do_verify_resident``: staff compared a WhatsApp-created entry with the paper register.
- ``do_merge_residents``: fold a duplicate (usually created on WhatsApp) into a register
  entry, moving everything that points at it.
"""

from collections import defaultdict

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from balai.lib.crypto import lookup_hash, lookup_hashes
from balai.residents.importer import AreaIndex, ImportPlan
from balai.residents.models import Resident
from balai.villages.actions import do_audit
from balai.villages.models import Village

# Fields an import may set; a cell left empty never clears what is stored.
IMPORT_FIELDS = [
    "name",
    "kk",
    "gender",
    "birth_place",
    "birth_date",
    "is_head_of_family",
    "address",
    "occupation",
    "phone",
]

# One-to-one rows (one per resident) that a merge cannot simply repoint when both residents
# have one: the field telling which is more recent. The more recent one is kept.
ONE_TO_ONE_ACTIVITY = {
    ("whatsapp", "contact"): "last_inbound_at",
    ("conversations", "conversation"): "last_activity",
}


class MergeError(ValueError):
    pass


@transaction.atomic
def do_import_residents(village: Village, plan: ImportPlan, actor) -> dict[str, int]:
    """Create and update the plan's residents and their areas in one transaction.

    Existing residents are found again here by NIK hash (the plan may be minutes old). Every
    imported resident is marked verified: the file is the village's register.
    """
    if plan.errors or not plan.rows:
        raise ValueError("an import plan with errors (or no rows) cannot be written")
    hashes = {lookup_hash(row.values["nik"]): row for row in plan.rows}
    existing = {
        r.nik_hash: r
        for r in Resident.objects.select_for_update()
        .filter(village=village)
        .exclude(nik_hash="")
        .only("pk", "nik_hash", "village_id")
    }
    areas = AreaIndex(village)
    areas_before = len(areas.nodes)
    now = timezone.now()
    to_create: list[Resident] = []
    to_update: dict[frozenset, list[Resident]] = defaultdict(list)
    for nik_hash, row in hashes.items():
        values = row.values
        fields = {
            name: values[name] for name in IMPORT_FIELDS if values.get(name) not in (None, "")
        }
        if values.get("area_names"):
            fields["area"] = areas.resolve(*values["area_names"], create=True)
        if fields.get("kk"):
            fields["kk_hash"] = lookup_hash(fields["kk"])
        # Any key's hash: an entry may still carry an old key's until rotate_keys runs.
        resident = existing.get(nik_hash) or next(
            (existing[h] for h in lookup_hashes(row.values["nik"])[1:] if h in existing), None
        )
        if resident is None:
            to_create.append(
                Resident(
                    village=village,
                    nik=values["nik"],
                    nik_hash=nik_hash,
                    is_verified=True,
                    created=now,
                    updated=now,
                    **fields,
                )
            )
        else:
            for name, value in fields.items():
                setattr(resident, name, value)
            resident.is_verified = True
            resident.updated = now
            to_update[frozenset(fields)].append(resident)
    Resident.objects.bulk_create(to_create, batch_size=500)
    updated = 0
    for names, residents in to_update.items():
        _update_many(residents, [*sorted(names), "is_verified", "updated"])
        updated += len(residents)
    counts = {
        "created": len(to_create),
        "updated": updated,
        "areas_created": len(areas.nodes) - areas_before,
    }
    do_audit(actor, village, "resident.import", layout=plan.layout, **counts)
    return counts


def _update_many(residents: list[Resident], names: list[str]) -> None:
    """``bulk_update`` without its cost: Django builds a CASE expression per row and field,
    which takes over a minute for a 20,000-row register. One parameterised UPDATE run with
    executemany does the same in about a second; values go through each field's own
    conversion (so NIK/KK are encrypted exactly as ``save()`` would)."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    fields = [Resident._meta.get_field(name) for name in names]
    # Column names come from the model, never from input; values are parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(Resident._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Resident._meta.pk.column),
    )
    rows = [
        [f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields] + [r.pk]
        for r in residents
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def do_verify_resident(resident: Resident, actor) -> bool:
    """Mark a resident checked against the register; False if it already was."""
    if resident.is_verified:
        return False
    resident.is_verified = True
    resident.save(update_fields=["is_verified", "updated"])
    do_audit(actor, resident.village, "resident.verify", resident)
    return True


@transaction.atomic
def do_merge_residents(
    target: Resident, duplicate: Resident, actor, *, take_phone: bool = False
) -> dict[str, int]:
    """Fold ``duplicate`` into ``target`` and delete it.

    Every foreign key to the duplicate (letter requests as subject and as contact,
    complaints, WhatsApp messages, and whatever points at residents later) moves to the
    target. One-per-resident rows (WhatsApp contact, conversation) move when the target has
    none; when both have one, the more recently active is kept and the rows under the other
    (e.g. conversation notes) move to it. Phone and WhatsApp id are copied when the target
    lacks them; ``take_phone`` replaces the target's phone with the duplicate's (the number
    the person now writes from, so their next message finds the merged entry). The target
    ends verified.
    """
    if target.village_id != duplicate.village_id:
        raise MergeError("residents of different villages cannot be merged")
    if target.pk == duplicate.pk:
        raise MergeError("a resident cannot be merged into itself")
    locked = {
        r.pk: r
        for r in Resident.objects.select_for_update()
        .filter(pk__in=[target.pk, duplicate.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeError("one of the residents no longer exists")
    target, duplicate = locked[target.pk], locked[duplicate.pk]

    moved: dict[str, int] = {}
    for rel in Resident._meta.related_objects:
        model = rel.related_model
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if rel.many_to_many:
            raise MergeError(f"merging does not handle the many-to-many {label} yet")
        name = rel.field.name
        if rel.one_to_one:
            if _merge_one_to_one(model, name, target, duplicate):
                moved[label] = 1
            continue
        try:
            with transaction.atomic():
                count = model._base_manager.filter(**{name: duplicate}).update(**{name: target})
        except IntegrityError:
            # e.g. both are participants of the same programme: a person decides which stays.
            raise MergeError(
                f"Keduanya sama-sama tercatat di {model._meta.verbose_name} yang sama; "
                "hapus salah satu catatan itu dulu, lalu gabungkan lagi."
            ) from None
        if count:
            moved[f"{label}.{name}"] = count
    _repoint_conversation_drafts(target, duplicate)

    copied = [
        f
        for f in ("phone", "wa_user_id")
        if getattr(duplicate, f)
        and (not getattr(target, f) or (f == "phone" and take_phone))
        and getattr(duplicate, f) != getattr(target, f)
    ]
    values = {f: getattr(duplicate, f) for f in copied}
    if copied:
        # The village-wide unique constraints: free the value before the target takes it.
        for f in copied:
            setattr(duplicate, f, "")
        duplicate.save(update_fields=[*copied, "updated"])
        for f, value in values.items():
            setattr(target, f, value)
    target.is_verified = True
    target.save(update_fields=[*copied, "is_verified", "updated"])
    do_audit(
        actor,
        target.village,
        "resident.merge",
        target,
        target_code=target.code,
        duplicate_code=duplicate.code,
        copied=copied,
        moved=moved,
    )
    duplicate.delete()
    return moved


def _merge_one_to_one(model, name: str, target: Resident, duplicate: Resident) -> bool:
    """Give the target the duplicate's one-per-resident row where that is the right one.
    Returns True when the duplicate's row was kept."""
    manager = model._base_manager
    theirs = manager.filter(**{name: duplicate}).first()
    if theirs is None:
        return False
    ours = manager.filter(**{name: target}).first()
    if ours is not None:
        activity = ONE_TO_ONE_ACTIVITY.get((model._meta.app_label, model._meta.model_name))
        ours_at = getattr(ours, activity, None) if activity else None
        theirs_at = getattr(theirs, activity, None) if activity else None
        if theirs_at is None or (ours_at is not None and ours_at >= theirs_at):
            _move_children(theirs, ours)
            return False
        _move_children(ours, theirs)
        ours.delete()
    # A queryset update, not save(): for WhatsApp Contact the resident is the primary key.
    manager.filter(**{name: duplicate}).update(**{name: target})
    return True


def _move_children(source: models.Model, dest: models.Model) -> None:
    """Repoint rows hanging off ``source`` (one level, e.g. conversation notes) to ``dest``."""
    for rel in source._meta.related_objects:
        if rel.one_to_many:
            rel.related_model._base_manager.filter(**{rel.field.name: source}).update(
                **{rel.field.name: dest}
            )


def _repoint_conversation_drafts(target: Resident, duplicate: Resident) -> None:
    """A conversation part-way through a letter request may remember the duplicate as the
    person the letter is about."""
    from balai.conversations.models import Conversation

    # The answers are encrypted, so they are read here rather than filtered in SQL; only
    # conversations inside a letter request can hold a person.
    for conversation in Conversation.objects.filter(village_id=target.village_id, flow="letter"):
        if (conversation.data or {}).get("_person") == duplicate.pk:
            conversation.data["_person"] = target.pk
            conversation.save(update_fields=["data"])
