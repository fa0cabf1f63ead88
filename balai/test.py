"""Personas for tests, in the manner of healthchecks' BaseTestCase.

Two villages (Pondok, WIB; Tigawasa, WITA), staff of every role in each, one resident in
each, a platform operator and an outsider with no village. Every test can check that one
village's staff cannot reach the other's data.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import TestCase

from balai.residents.models import Resident
from balai.villages.actions import do_add_staff
from balai.villages.models import Area, Village
from balai.villages.roles import Role

PASSWORD = "persona-password-123"
_app = None


def in_process_app(environ, start_response):
    """``get_wsgi_application()``, called the way Django's test client calls it.

    A bare WSGI handler runs ``close_old_connections`` at the start and end of each request;
    inside a TestCase (one open transaction) that would close the test's connection on
    PostgreSQL. ``django.test.client.ClientHandler`` disconnects it for the same reason.
    """
    global _app
    if _app is None:
        _app = get_wsgi_application()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = _app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()  # sends request_finished now, while the receiver is off
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return [body]


def make_village(slug: str, name: str, tz: str, code: str, provinsi: str) -> Village:
    return Village.objects.create(
        slug=slug,
        name=name,
        official_code=code,
        kecamatan="Kec",
        kabupaten="Kab",
        provinsi=provinsi,
        timezone=tz,
    )


class BaseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        User = get_user_model()
        cls.village = make_village(
            "pondok", "Pondok", "Asia/Jakarta", "33.11.02.2010", "Jawa Tengah"
        )
        cls.other_village = make_village(
            "tigawasa", "Tigawasa", "Asia/Makassar", "51.08.05.2012", "Bali"
        )
        cls.staff = {}
        cls.other_staff = {}
        for role in Role:
            cls.staff[role] = do_add_staff(
                cls.village,
                username=f"{role.value}-a",
                full_name=f"{role.label} A",
                role=role,
                password=PASSWORD,
            ).user
            cls.other_staff[role] = do_add_staff(
                cls.other_village,
                username=f"{role.value}-b",
                full_name=f"{role.label} B",
                role=role,
                password=PASSWORD,
            ).user
        cls.operator = cls.staff[Role.OPERATOR]
        cls.other_operator = cls.other_staff[Role.OPERATOR]
        cls.platform = User.objects.create_user(
            "platform", password=PASSWORD, is_staff=True, is_superuser=True
        )
        cls.outsider = User.objects.create_user("outsider", password=PASSWORD)

        cls.dusun = Area.objects.create(village=cls.village, kind="dusun", name="Krajan")
        cls.other_dusun = Area.objects.create(
            village=cls.other_village, kind="dusun", name="Dauh Pura"
        )
        cls.resident = Resident.objects.create(
            village=cls.village,
            name="Siti Aminah",
            phone="+6281234567890",
            nik="3311024501900001",
            kk="3311020101100002",
            gender="P",
            birth_date=dt.date(1990, 1, 5),
            area=cls.dusun,
        )
        cls.other_resident = Resident.objects.create(
            village=cls.other_village,
            name="Ni Wayan Sukarmi",
            phone="+6281999888777",
            nik="5108055203850003",
            gender="P",
            area=cls.other_dusun,
        )

    def login(self, user):
        self.client.force_login(user)


class ChannelTestCase(BaseTestCase):
    """BaseTestCase plus a simulated WhatsApp number for each village."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from balai.whatsapp.models import WhatsAppNumber

        cls.number = WhatsAppNumber.objects.create(
            village=cls.village,
            phone_number_id="106540352242922",
            display_number="15550783881",
            waba_id="102290129340398",
            is_simulated=True,
        )
        cls.other_number = WhatsAppNumber.objects.create(
            village=cls.other_village,
            phone_number_id="106540352242923",
            display_number="15550783882",
            waba_id="102290129340399",
            is_simulated=True,
        )
