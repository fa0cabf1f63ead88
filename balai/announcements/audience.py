"""Who an announcement reaches, and what sending it costs before anyone presses *Kirim*.

The audience is: the subscribers of the chosen topics (or of any topic, "semua pelanggan")
and the participants of the chosen programmes who gave their consent; when areas are
chosen, only those living there (a dusun includes its RW and RT). A subscriber's area is
the one they chose on WhatsApp, else their area in the register.

The estimate splits it by the 24-hour customer-service window: inside it a free-form
message goes (free); outside it only an approved template, which Meta charges per delivered
message by the template's category (reference/whatsapp.md §3.4), and which counts towards
the number's daily messaging limit (unique users reached outside a window in a moving
24 hours).
"""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from balai.announcements.models import Announcement, NewsSettings, Subscription
from balai.residents.models import Resident
from balai.villages.models import Area
from balai.whatsapp.models import WINDOW, OutboundMessage, Template

ANNOUNCEMENT_PURPOSE = "announcement"


def expand_areas(village, areas) -> set[int]:
    """The ids of ``areas`` and of every area below them (dusun → RW → RT)."""
    chosen = {a.pk if hasattr(a, "pk") else a for a in areas}
    if not chosen:
        return set()
    children: dict[int | None, list[int]] = {}
    for pk, parent in Area.objects.filter(village=village).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), list(chosen)
    while todo:
        pk = todo.pop()
        if pk in found:
            continue
        found.add(pk)
        todo.extend(children.get(pk, []))
    return found


@dataclass(frozen=True)
class Audience:
    """An announcement's audience definition, detached from the form or the database."""

    village: object
    everyone: bool
    topics: tuple = ()
    areas: tuple = ()
    programmes: tuple = ()

    @classmethod
    def of(cls, announcement: Announcement) -> "Audience":
        topics = tuple(announcement.audience_topics.values_list("pk", flat=True))
        if not topics and not announcement.audience_all:
            topics = (announcement.topic_id,)
        return cls(
            village=announcement.village,
            everyone=announcement.audience_all,
            topics=topics,
            areas=tuple(announcement.audience_areas.values_list("pk", flat=True)),
            programmes=tuple(announcement.audience_programmes.values_list("pk", flat=True)),
        )

    def subscriber_ids(self):
        subs = Subscription.objects.filter(village=self.village, topic__is_active=True)
        if not self.everyone:
            subs = subs.filter(topic__in=self.topics)
        if self.areas:
            subs = subs.in_areas(expand_areas(self.village, self.areas))
        return subs.values("resident_id")

    def participant_ids(self):
        from balai.programmes.models import ConsentState, Participant

        people = Participant.objects.filter(
            programme__village=self.village,
            programme__in=self.programmes,
            consent=ConsentState.GIVEN,
        )
        if self.areas:
            areas = expand_areas(self.village, self.areas)
            people = people.filter(
                Q(area__in=areas) | Q(area__isnull=True, resident__area__in=areas)
            )
        return people.values("resident_id")

    def residents(self):
        """The audience as a Resident queryset (each person once)."""
        who = Q(pk__in=self.subscriber_ids())
        if self.programmes:
            who |= Q(pk__in=self.participant_ids())
        return Resident.objects.filter(village=self.village).filter(who)


def reachable(residents):
    """Those WhatsApp can reach: a phone number or a business-scoped user id."""
    return residents.exclude(phone="", wa_user_id="")


def default_template(village):
    """The approved template for announcements: purpose ``announcement``, else the
    village's re-engagement template."""
    return (
        Template.objects.filter(
            village=village,
            status=Template.Status.APPROVED,
            purpose__in=[ANNOUNCEMENT_PURPOSE, "reengage"],
        )
        .order_by("purpose")  # "announcement" before "reengage"
        .first()
    )


@dataclass
class Estimate:
    total: int
    unreachable: int
    inside: int
    outside: int
    template: Template | None
    rate: Decimal | None
    pace: float
    throughput: int
    emergency: bool
    limit: int
    recent_outside: int
    new_outside: int
    threshold: int

    @property
    def reachable(self) -> int:
        return self.inside + self.outside

    @property
    def cost(self) -> Decimal | None:
        if self.outside == 0:
            return Decimal(0)
        if self.template is None or self.rate is None:
            return None
        return self.rate * self.outside

    @property
    def seconds(self) -> int:
        if not self.pace:
            return 0
        return math.ceil(self.reachable / self.pace)

    @property
    def limit_projected(self) -> int:
        return self.recent_outside + self.new_outside

    @property
    def over_limit(self) -> bool:
        return bool(self.limit) and self.limit_projected > self.limit

    @property
    def needs_approval(self) -> bool:
        return self.reachable > self.threshold

    @property
    def missing_template(self) -> bool:
        return self.outside > 0 and self.template is None


def estimate(announcement: Announcement, now: dt.datetime | None = None) -> Estimate:
    """Audience size, window split, cost, time and the messaging-limit check, in a handful
    of COUNT queries (no rows are loaded)."""
    now = now or timezone.now()
    village = announcement.village
    settings = NewsSettings.of(village)
    residents = Audience.of(announcement).residents()
    total = residents.count()
    can_reach = reachable(residents)
    reach = can_reach.count()
    open_window = Q(whatsapp__last_inbound_at__gt=now - WINDOW)
    inside = can_reach.filter(open_window).count()
    number = getattr(village, "whatsapp", None)
    throughput = number.throughput_per_second if number else 0
    emergency = announcement.topic.is_emergency
    pace = throughput * (1.0 if emergency else settings.normal_share / 100)
    # Meta's messaging limit counts unique users reached with a template (outside a
    # window) in the last 24 hours, across the portfolio; this number is what Balai knows.
    recent = OutboundMessage.objects.filter(
        village=village,
        kind=OutboundMessage.Kind.TEMPLATE,
        created__gt=now - dt.timedelta(hours=24),
        resident__isnull=False,
    ).exclude(state=OutboundMessage.State.FAILED)
    recent_ids = recent.values("resident_id")
    recent_outside = recent.values("resident_id").distinct().count()
    new_outside = can_reach.exclude(open_window).exclude(pk__in=recent_ids).count()
    template = announcement.template or default_template(village)
    return Estimate(
        total=total,
        unreachable=total - reach,
        inside=inside,
        outside=reach - inside,
        template=template,
        rate=settings.rate_for(template.category) if template else None,
        pace=pace,
        throughput=throughput,
        emergency=emergency,
        limit=settings.messaging_limit,
        recent_outside=recent_outside,
        new_outside=new_outside,
        threshold=settings.approval_threshold,
    )


def duration_text(seconds: int) -> str:
    """ "± 2 menit 5 detik" for the console."""
    if seconds < 60:
        return f"± {max(seconds, 1)} detik"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"± {minutes} menit" + (f" {secs} detik" if secs and minutes < 10 else "")
    hours, minutes = divmod(minutes, 60)
    return f"± {hours} jam {minutes} menit"


def rupiah(amount) -> str:
    if amount is None:
        return "—"
    whole = int(Decimal(amount).quantize(Decimal(1)))
    return "Rp " + f"{whole:,}".replace(",", ".")
