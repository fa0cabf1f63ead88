"""The default news topics every village starts with (editable afterwards), and subscribing
and unsubscribing as named actions that record consent."""

from django.db import transaction
from django.db.models import Max

from balai.announcements.models import ConsentLog, Subscription, Topic

# slug, name, description, keywords, emergency, default
DEFAULT_TOPICS = [
    ("umum", "Umum", "Kabar dan kegiatan desa", "umum, info, kabar, berita, desa, kegiatan",
     False, True),
    ("kesehatan", "Kesehatan/posyandu", "Posyandu, imunisasi, puskesmas",
     "kesehatan, posyandu, imunisasi, vaksin, puskesmas, balita, lansia, bidan", False, False),
    ("bansos", "Bantuan sosial", "Jadwal dan syarat bantuan",
     "bansos, bantuan, blt, pkh, sembako, beras, dtks", False, False),
    ("pertanian", "Pertanian", "Pupuk, tanam, kelompok tani",
     "pertanian, tani, petani, pupuk, sawah, panen, ternak", False, False),
    ("umkm", "UMKM", "Pelatihan dan pasar untuk usaha",
     "umkm, usaha, dagang, pasar, jualan, pelatihan, lowongan", False, False),
    ("darurat", "Darurat", "Banjir, longsor, kebakaran, keamanan",
     "darurat, bencana, banjir, longsor, kebakaran, gempa, keamanan", True, True),
]  # fmt: skip


def do_seed_topics(village) -> list[Topic]:
    """Create the default topics a village does not have yet (idempotent)."""
    have = set(Topic.objects.filter(village=village).values_list("slug", flat=True))
    created = []
    for position, (slug, name, description, keywords, emergency, default) in enumerate(
        DEFAULT_TOPICS
    ):
        if slug in have:
            continue
        created.append(
            Topic.objects.create(
                village=village,
                slug=slug,
                name=name,
                description=description,
                keywords=keywords,
                is_emergency=emergency,
                is_default=default,
                position=position,
            )
        )
    return created


def active_topics(village):
    return Topic.objects.filter(village=village, is_active=True)


def topic_names(topics) -> str:
    return ", ".join(t.name for t in topics)


@transaction.atomic
def do_subscribe(resident, topics, *, text: str, via: str = "whatsapp", area=None, actor=None):
    """Subscribe ``resident`` to ``topics`` (already subscribed ones are kept as they were);
    return the topics newly subscribed. ``text`` is what the resident was shown."""
    from balai.whatsapp.outbox import do_record_opt_in

    have = set(Subscription.objects.filter(resident=resident).values_list("topic_id", flat=True))
    if area is None:
        area = (
            Subscription.objects.filter(resident=resident, area__isnull=False)
            .values_list("area", flat=True)
            .first()
        )
    new = [t for t in topics if t.pk not in have]
    Subscription.objects.bulk_create(
        [
            Subscription(
                village_id=resident.village_id,
                resident=resident,
                topic=t,
                area_id=area.pk if hasattr(area, "pk") else area,
                opt_in_text=text,
                via=via,
            )
            for t in new
        ],
        ignore_conflicts=True,
    )
    if new:
        ConsentLog.objects.create(
            village_id=resident.village_id,
            resident=resident,
            action=ConsentLog.Action.SUBSCRIBE,
            topics=topic_names(new)[:500],
            text=text,
            via=via,
            actor=actor,
        )
        # Templates outside the 24-hour window need the resident's opt-in (Meta).
        do_record_opt_in(resident, text)
    return new


@transaction.atomic
def do_unsubscribe(resident, topics=None, *, text: str = "", via: str = "whatsapp", actor=None):
    """Stop ``topics`` (all when None) for ``resident``; return the topics stopped."""
    subs = Subscription.objects.filter(resident=resident).select_related("topic")
    if topics is not None:
        subs = subs.filter(topic__in=topics)
    stopped = [s.topic for s in subs]
    if not stopped:
        return []
    subs.delete()
    ConsentLog.objects.create(
        village_id=resident.village_id,
        resident=resident,
        action=ConsentLog.Action.UNSUBSCRIBE,
        topics=topic_names(stopped)[:500],
        text=text,
        via=via,
        actor=actor,
    )
    return stopped


@transaction.atomic
def do_set_area(resident, area, *, via: str = "whatsapp") -> int:
    """The area whose news the resident wants (None: their area in the register)."""
    changed = Subscription.objects.filter(resident=resident).update(area=area)
    if changed:
        ConsentLog.objects.create(
            village_id=resident.village_id,
            resident=resident,
            action=ConsentLog.Action.AREA,
            topics=area.label if area else "sesuai data desa",
            via=via,
        )
    return changed


def next_position(village) -> int:
    top = Topic.objects.filter(village=village).aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1
