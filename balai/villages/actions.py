"""Write operations on villages and staff (``do_*``: each owns its transaction)."""

from django.contrib.auth import get_user_model
from django.db import models, transaction

from balai.villages.models import AuditEvent, Faq, Membership, Village


def do_audit(actor, village: Village | None, action: str, obj=None, **detail) -> AuditEvent:
    return AuditEvent.objects.create(
        village=village,
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_code=getattr(obj, "code", "") if obj is not None else "",
        detail=detail,
    )


@transaction.atomic
def do_add_staff(
    village: Village,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str | None,
    title: str = "",
    actor=None,
) -> Membership:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        first, _, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, _ = Membership.objects.update_or_create(
        user=user, village=village, defaults={"role": role, "title": title, "is_active": True}
    )
    do_audit(actor, village, "staff.add", detail_user=username, role=role)
    return membership


@transaction.atomic
def do_deactivate_staff(membership: Membership, actor) -> None:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    do_audit(actor, membership.village, "staff.deactivate", detail_user=membership.user.username)


def move_in_order(obj, siblings, step: int) -> bool:
    """Move ``obj`` one place up (``step=-1``) or down (``+1``) among ``siblings`` (a queryset
    in display order that includes it), renumbering ``position`` 1..n so ties from seeding
    do not make the move a no-op. Returns False at either end. Call inside a transaction."""
    ordered = list(siblings.select_for_update())
    index = next(i for i, other in enumerate(ordered) if other.pk == obj.pk)
    target = index + step
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    changed = []
    for position, item in enumerate(ordered, 1):
        if item.position != position:
            item.position = position
            changed.append(item)
    type(obj).objects.bulk_update(changed, ["position"])
    obj.position = target + 1
    return True


def _next_position(queryset) -> int:
    return (queryset.aggregate(top=models.Max("position"))["top"] or 0) + 1


@transaction.atomic
def do_add_faq(village: Village, *, question: str, answer: str, actor) -> Faq:
    faq = Faq.objects.create(
        village=village,
        question=question,
        answer=answer,
        position=_next_position(Faq.objects.filter(village=village)),
    )
    do_audit(actor, village, "faq.add", faq)
    return faq


@transaction.atomic
def do_update_faq(faq: Faq, changes: dict, actor) -> list[str]:
    """Save ``changes`` (field → new value, e.g. a form's changed fields) and audit them."""
    fields = sorted(changes)
    if not fields:
        return []
    for name in fields:
        setattr(faq, name, changes[name])
    faq.save(update_fields=fields)
    do_audit(actor, faq.village, "faq.update", faq, fields=fields)
    return fields


@transaction.atomic
def do_set_faq_active(faq: Faq, active: bool, actor) -> None:
    if faq.is_active == active:
        return
    faq.is_active = active
    faq.save(update_fields=["is_active"])
    do_audit(actor, faq.village, "faq.show" if active else "faq.hide", faq)


@transaction.atomic
def do_move_faq(faq: Faq, step: int, actor) -> bool:
    moved = move_in_order(
        faq, Faq.objects.filter(village=faq.village).order_by("position", "pk"), step
    )
    if moved:
        do_audit(actor, faq.village, "faq.move", faq, position=faq.position)
    return moved


@transaction.atomic
def do_delete_faq(faq: Faq, actor) -> None:
    do_audit(actor, faq.village, "faq.delete", faq, question=faq.question)
    faq.delete()
