import datetime as dt
import zoneinfo

from balai.test import BaseTestCase
from balai.villages.models import Holiday

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
WITA = zoneinfo.ZoneInfo("Asia/Makassar")


class OfficeHoursTest(BaseTestCase):
    def test_open_uses_the_villages_own_time_zone(self):
        # Monday 2026-11-23 07:30 in Jakarta is 08:30 in Bali: Tigawasa is open, Pondok not.
        moment = dt.datetime(2026, 11, 23, 7, 30, tzinfo=WIB)
        self.assertFalse(self.village.is_open(moment))
        self.assertTrue(self.other_village.is_open(moment))

    def test_next_opening_skips_weekend_and_holidays(self):
        friday_evening = dt.datetime(2026, 11, 27, 17, 0, tzinfo=WIB)
        Holiday.objects.create(village=self.village, date=dt.date(2026, 11, 30), name="Libur")
        opening = self.village.next_opening(friday_evening)
        self.assertEqual(opening, dt.datetime(2026, 12, 1, 8, 0, tzinfo=WIB))
        # The other village has no holiday that Monday.
        self.assertEqual(
            self.other_village.next_opening(friday_evening),
            dt.datetime(2026, 11, 30, 8, 0, tzinfo=WITA),
        )

    def test_area_label_walks_up(self):
        from balai.villages.models import Area

        rt = Area.objects.create(village=self.village, kind="rt", name="003", parent=self.dusun)
        self.assertEqual(rt.label, "RT 003, Dusun Krajan")
