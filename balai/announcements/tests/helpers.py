"""Residents, subscriptions and announcements for the announcements tests."""

import datetime as dt

from django.utils import timezone

from balai.announcements.models import Announcement, Topic
from balai.announcements.topics import do_subscribe
from balai.residents.models import Resident
from balai.whatsapp.models import Contact, Template


def topic(village, slug) -> Topic:
    return Topic.objects.get(village=village, slug=slug)


def people(village, count, *, start=0, area=None, prefix="+62813") -> list[Resident]:
    return [
        Resident.objects.create(
            village=village,
            name=f"Warga {start + i:05d}",
            phone=f"{prefix}{start + i:08d}",
            area=area,
        )
        for i in range(count)
    ]


def subscribe(residents, *topics, area=None):
    for person in residents:
        do_subscribe(person, list(topics), text="Baik, Bapak/Ibu. (tes)", area=area)


def open_window(residents, *, hours_ago=1):
    """These residents wrote to the village ``hours_ago`` hours ago."""
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    for person in residents:
        Contact.objects.update_or_create(
            resident=person, defaults={"village_id": person.village_id, "last_inbound_at": at}
        )


def template(village, *, category="marketing", purpose="announcement") -> Template:
    return Template.objects.create(
        village=village,
        name=f"kabar_{purpose}",
        language="id",
        category=category,
        purpose=purpose,
        status=Template.Status.APPROVED,
        body="Halo {{1}}, kabar dari {{2}}: *{{3}}*. {{4}} Selengkapnya: {{5}}",
        parameters=["nama", "desa", "judul", "ringkasan", "tautan"],
    )


def announcement(village, topic_slug="umum", **fields) -> Announcement:
    fields.setdefault("title", "Kerja bakti Minggu pagi")
    fields.setdefault("body", "Kerja bakti membersihkan saluran air, Minggu pukul 07.00.")
    return Announcement.objects.create(village=village, topic=topic(village, topic_slug), **fields)
