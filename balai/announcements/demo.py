"""Demo data for village news: topics, a template for announcements, subscribers among the
demo residents, one announcement already sent (with delivery states as WhatsApp reported
them) and one draft waiting for the sekdes or kades.

``seed_announcements(village)`` is idempotent; the demo seeder calls it for each village.
Nothing is sent: the sent announcement's outbox rows are written as they would look after
the send (like the demo letter requests, which are written at their stage).
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from balai.announcements import content
from balai.announcements.audience import ANNOUNCEMENT_PURPOSE
from balai.announcements.models import (
    Announcement,
    Broadcast,
    ConsentLog,
    NewsSettings,
    Recipient,
    Subscription,
    Topic,
)
from balai.announcements.topics import do_seed_topics
from balai.villages.models import Membership
from balai.villages.roles import Role
from balai.whatsapp.models import Contact, OutboundMessage, Template

TEMPLATE_NAME = "balai_kabar_desa"
TEMPLATE_BODY = (
    "Halo {{1}}, ada kabar dari {{2}}: *{{3}}*. {{4}} Selengkapnya: {{5}} Balas *berhenti* "
    "bila tidak ingin menerima kabar lagi."
)

SENT = {
    "pondok": (
        "kesehatan",
        "Posyandu balita dan lansia, Sabtu ini di balai dusun",
        "Posyandu bulan ini diadakan Sabtu pukul 08.00–11.00 di balai dusun masing-masing. "
        "Balita ditimbang dan diberi vitamin A; lansia diperiksa tekanan darah dan gula darah. "
        "Bawa buku KIA atau kartu lansia. Gratis.",
    ),
    "tigawasa": (
        "umkm",
        "Pelatihan foto produk sokasi untuk Instagram",
        "Perajin sokasi diundang ikut pelatihan memotret produk dengan HP dan mengunggahnya ke "
        "Instagram dan Facebook, Kamis pukul 14.00 di wantilan desa. Bawa HP dan dua contoh "
        "sokasi. Pendamping: mahasiswa KKN Undiksha.",
    ),
}
DRAFT = (
    "bansos",
    "Pembagian beras bantuan pangan Senin depan",
    "Beras bantuan pangan 10 kg dibagikan Senin depan pukul 08.00 di kantor desa, per dusun "
    "sesuai jadwal. Penerima membawa KTP dan KK asli. Bila berhalangan, boleh diwakili "
    "anggota keluarga dalam satu KK dengan membawa surat kuasa.",
)


def _user(village, role):
    membership = (
        Membership.objects.filter(village=village, role=role, is_active=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def seed_announcements(village, *, now=None) -> None:
    if Announcement.objects.filter(village=village).exists():
        return
    now = now or timezone.now()
    rng = random.Random(f"news-{village.slug}")
    do_seed_topics(village)
    settings = NewsSettings.of(village)
    settings.approval_threshold = 10
    # Example rates in rupiah per delivered template; villages enter Meta's current ones.
    settings.rate_marketing = Decimal("586.33")
    settings.rate_utility = Decimal("356.80")
    settings.rate_authentication = Decimal("356.80")
    settings.save()
    template, _ = Template.objects.get_or_create(
        village=village,
        name=TEMPLATE_NAME,
        language="id",
        defaults={
            "purpose": ANNOUNCEMENT_PURPOSE,
            "category": Template.Category.MARKETING,
            "status": Template.Status.APPROVED,
            "body": TEMPLATE_BODY,
            "parameters": ["nama", "desa", "judul", "ringkasan", "tautan"],
        },
    )
    topics = {t.slug: t for t in Topic.objects.filter(village=village)}
    number = getattr(village, "whatsapp", None)

    # Subscribers: about two in three demo residents, each with the default topics and one
    # or two more; some wrote to the village today (inside the 24-hour window).
    people = list(village.residents.exclude(phone="").order_by("pk"))
    chosen = [p for p in people if rng.random() < 0.67]
    for person in chosen:
        wanted = [topics["umum"], topics["darurat"]]
        wanted += rng.sample(
            [topics[s] for s in ("kesehatan", "bansos", "pertanian", "umkm")], rng.randint(1, 2)
        )
        joined = now - dt.timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 12))
        text = (
            f"Baik, Bapak/Ibu. Nomor WhatsApp ini menerima kabar dari {village}: "
            f"*{', '.join(t.name for t in wanted)}*.\n"
            "Kami kirim bila ada pengumuman. Ketik *berhenti* kapan saja untuk berhenti."
        )
        Subscription.objects.bulk_create(
            [
                Subscription(
                    village=village, resident=person, topic=t, opt_in_text=text, created=joined
                )
                for t in wanted
            ]
        )
        ConsentLog.objects.create(
            village=village,
            resident=person,
            action=ConsentLog.Action.SUBSCRIBE,
            topics=", ".join(t.name for t in wanted),
            text=text,
            created=joined,
        )
        last = now - dt.timedelta(hours=rng.choice([2, 5, 30, 50, 200]))
        Contact.objects.update_or_create(
            resident=person,
            defaults={
                "village": village,
                "profile_name": person.name.split()[0],
                "last_inbound_at": last,
                "opted_in_at": joined,
                "opt_in_text": text,
            },
        )

    operator = _user(village, Role.OPERATOR)
    sekdes = _user(village, Role.SEKDES)
    slug, title, body = SENT.get(village.slug, SENT["pondok"])
    sent_at = now - dt.timedelta(days=2, hours=3)
    sent = Announcement.objects.create(
        village=village,
        title=title,
        body=body,
        topic=topics[slug],
        template=template,
        state=Announcement.State.SENT,
        author=operator,
        created=sent_at - dt.timedelta(hours=1),
        submitted_by=operator,
        submitted_at=sent_at - dt.timedelta(minutes=50),
        approved_by=sekdes,
        approved_at=sent_at,
        published_at=sent_at,
    )
    if number is not None:
        _sent_broadcast(sent, number, template, sent_at, operator, rng)

    slug, title, body = DRAFT
    Announcement.objects.create(
        village=village,
        title=title,
        body=body,
        topic=topics[slug],
        audience_all=True,
        template=template,
        state=Announcement.State.PENDING,
        author=operator,
        created=now - dt.timedelta(hours=2),
        submitted_by=operator,
        submitted_at=now - dt.timedelta(hours=1),
    )


def _sent_broadcast(announcement, number, template, sent_at, user, rng) -> None:
    """The finished send, its recipients and their outbox rows with the statuses WhatsApp
    reported: most delivered or read, a few sent only, one number not on WhatsApp."""
    from balai.announcements.audience import Audience

    village = announcement.village
    kind, body = content.free_message(announcement)
    values = content.template_values(announcement)
    broadcast = Broadcast.objects.create(
        announcement=announcement,
        village=village,
        number=number,
        state=Broadcast.State.FINISHED,
        share=NewsSettings.of(village).normal_share,
        free_kind=kind,
        free_body=body,
        template=template,
        template_values=values,
        materialized=True,
        started_by=user,
        started_at=sent_at,
        finished_at=sent_at + dt.timedelta(seconds=2),
    )
    people = list(Audience.of(announcement).residents().select_related("whatsapp").order_by("pk"))
    states = ["read", "read", "delivered", "delivered", "delivered", "sent"]
    for index, person in enumerate(people):
        contact = getattr(person, "whatsapp", None)
        inside = contact is not None and contact.window_open(sent_at)
        if inside:
            payload_kind, payload = kind, body
        else:
            payload_kind, payload = content.template_message(template, values, person.name)
        state = "failed" if index == len(people) - 1 else rng.choice(states)
        at = sent_at + dt.timedelta(seconds=index // 10)
        fields = {"sent_at": at}
        if state in {"delivered", "read"}:
            fields["delivered_at"] = at + dt.timedelta(seconds=rng.randint(2, 90))
        if state == "read":
            fields["read_at"] = fields["delivered_at"] + dt.timedelta(minutes=rng.randint(1, 300))
        if state == "failed":
            fields = {
                "failed_at": at,
                "last_error_code": 131026,
                "last_error": "Message undeliverable",
                "needs_attention": True,
            }
        out = OutboundMessage.objects.create(
            village=village,
            number=number,
            resident=person,
            to=person.phone.lstrip("+"),
            kind=payload_kind,
            payload={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": person.phone.lstrip("+"),
                **payload,
            },
            purpose=ANNOUNCEMENT_PURPOSE,
            state=state,
            attempts=1,
            wamid=f"wamid.DEMO{announcement.code}{index:04d}",
            created=at,
            **fields,
        )
        Recipient.objects.create(
            broadcast=broadcast,
            resident=person,
            state=Recipient.State.RELEASED,
            outbound=out,
            via_template=not inside,
            released_at=at,
        )
    Broadcast.objects.filter(pk=broadcast.pk).update(total=len(people))
