"""Write operations on villages and staff (``do_*``: each owns its transaction)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from balai.villages.models import AuditEvent, Membership, Village


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
