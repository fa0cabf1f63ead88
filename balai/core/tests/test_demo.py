from django.contrib.auth import authenticate
from django.test import TestCase

from balai.core import demo
from balai.residents.identity import validate_nik
from balai.residents.models import Resident
from balai.villages.models import Membership, Village
from balai.villages.roles import Role


class DemoDataTest(TestCase):
    def test_seed_is_complete_valid_and_idempotent(self):
        demo.seed()
        demo.seed()
        pondok = Village.objects.get(slug="pondok")
        tigawasa = Village.objects.get(slug="tigawasa")
        self.assertEqual((pondok.timezone, tigawasa.timezone), ("Asia/Jakarta", "Asia/Makassar"))
        self.assertEqual(tigawasa.kabupaten, "Buleleng")
        for village in (pondok, tigawasa):
            roles = set(Membership.objects.filter(village=village).values_list("role", flat=True))
            self.assertEqual(roles, set(Role))
            self.assertGreaterEqual(village.residents.count(), 24)
            self.assertTrue(village.areas.filter(kind="rt").exists())
        # The register (with NIKs); programme participants met through the facilitator have
        # only a name and a phone, as in the field.
        registered = Resident.objects.exclude(nik_hash="")
        for resident in registered:
            self.assertEqual(validate_nik(resident.nik), resident.nik)
        self.assertEqual(registered.count(), 54)
        from balai.programmes.models import Programme

        sizes = {
            p.title: (p.village.slug, p.participants.filter(consent="given").count())
            for p in Programme.objects.all()
        }
        self.assertEqual(
            sizes,
            {"Pendampingan Protokol": ("pondok", 6), "Pemasaran Online Sokasi": ("tigawasa", 10)},
        )
        self.assertIsNotNone(authenticate(username="kades.tigawasa", password=demo.DEMO_PASSWORD))
        self.assertTrue(authenticate(username="admin", password=demo.DEMO_PASSWORD).is_staff)
