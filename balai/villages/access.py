"""The one place staff views fetch tenant-owned objects.

Every fetch is scoped to a village the user works in; anything else is a 404 (not 403), so
staff of one village cannot even learn that another village's object exists. Capabilities a
role lacks are a 403 with a clear page.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from balai.villages.models import Membership, Village
from balai.villages.roles import CAPABILITIES


class Staff:
    """The acting user in one village: ``request.staff`` in every staff view."""

    def __init__(self, user, village: Village, membership: Membership | None):
        self.user = user
        self.village = village
        self.membership = membership

    @property
    def is_platform_operator(self) -> bool:
        return self.user.is_staff

    @property
    def role_label(self) -> str:
        if self.membership:
            return self.membership.get_role_display()
        return "Operator Platform"

    def can(self, capability: str) -> bool:
        # Platform operators administer villages but do not act as village officials.
        if self.membership is None:
            return self.is_platform_operator and capability in {
                "view_staff",
                "manage_village",
                "view_residents",
            }
        return self.membership.can(capability)

    @cached_property
    def perms(self) -> dict[str, bool]:
        """For templates: ``{% if staff.perms.manage_residents %}``."""
        return {capability: self.can(capability) for capability in CAPABILITIES}

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise PermissionDenied(f"Peran Anda tidak boleh: {capability}")


def access_village(user, slug: str) -> Staff:
    if not user.is_authenticated or not user.is_active:
        raise Http404
    village = get_object_or_404(Village, slug=slug)
    membership = Membership.objects.filter(user=user, village=village, is_active=True).first()
    if membership is None and not user.is_staff:
        raise Http404
    return Staff(user, village, membership)


def staff_view(capability: str | None = None):
    """Decorate a function view taking ``village_slug``: login, tenant, capability, timezone."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, village_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            staff = access_village(request.user, village_slug)
            if capability:
                staff.require(capability)
            request.staff = staff
            if request.session.get("village") != staff.village.slug:
                request.session["village"] = staff.village.slug
            timezone.activate(staff.village.tz)
            return view(request, staff, *args, **kwargs)

        wrapper.capability = capability  # read by the role-matrix test
        return wrapper

    return decorator


def access_object(staff: Staff, queryset: models.QuerySet | type[models.Model], **lookup):
    """Fetch one village-owned object by its lookup (usually ``code``) or 404."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    return get_object_or_404(queryset, village=staff.village, **lookup)


def access_resident(staff: Staff, code: str):
    from balai.residents.models import Resident

    staff.require("view_residents")
    return access_object(staff, Resident.objects.select_related("area"), code=code)


def access_data_request(staff: Staff, code: str):
    from balai.residents.models import DataRequest

    staff.require("view_data_requests")
    return access_object(
        staff, DataRequest.objects.select_related("resident__area", "staff"), code=code
    )


def access_membership(staff: Staff, code: str):
    staff.require("view_staff")
    return access_object(staff, Membership.objects.select_related("user"), code=code)


def access_programme(staff: Staff, code: str):
    from balai.programmes.models import Programme

    staff.require("view_programmes")
    return access_object(staff, Programme, code=code)


def access_in_programme(programme, model, code: str):
    """An object of ``programme`` (participant, activity, lesson, quiz, photo…) by code, or
    404: the programme was already fetched through the staff member's village."""
    return get_object_or_404(model, programme=programme, code=code)


def access_seller(staff: Staff, code: str):
    from balai.market.models import Seller

    staff.require("view_market")
    return access_object(staff, Seller.objects.select_related("resident"), code=code)


def access_product(staff: Staff, code: str):
    from balai.market.models import Product

    staff.require("view_market")
    return access_object(staff, Product.objects.select_related("seller"), code=code)


def public_village(slug: str) -> Village:
    """The village behind a public page (no login): any village, by its slug, or 404."""
    return get_object_or_404(Village.objects.select_related("whatsapp"), slug=slug)
