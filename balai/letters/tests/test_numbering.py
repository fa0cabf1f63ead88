"""Letter numbers: the format's codes, padding, Roman months, bad formats, and sequences."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import SimpleTestCase

from balai.core.models import Counter
from balai.letters.actions import do_submit_request
from balai.letters.models import LetterType
from balai.letters.numbering import (
    NumberFormatError,
    format_number,
    number_format_validator,
    take_number,
    validate_number_format,
)
from balai.test import BaseTestCase
from balai.villages.models import Village

DEFAULT = "[kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]"


class FakeType:
    classification_code = "474.1"


def village(code="33.11.02.2010", tz="Asia/Jakarta"):
    return Village(name="Pondok", official_code=code, timezone=tz)


def number(fmt, *, sequence=7, at=dt.date(2026, 10, 3), v=None):
    return format_number(
        fmt, sequence=sequence, letter_type=FakeType(), village=v or village(), at=at
    )


class FormatTest(SimpleTestCase):
    def test_the_default_format(self):
        self.assertEqual(number(DEFAULT), "474.1/007/2010/X/2026")

    def test_each_code(self):
        self.assertEqual(number("[kode_klasifikasi]"), "474.1")
        self.assertEqual(number("[nomor]"), "7")
        self.assertEqual(number("[kode_desa]"), "2010")
        self.assertEqual(number("[kode_wilayah]"), "33.11.02.2010")
        self.assertEqual(number("[bulan_romawi]"), "X")
        self.assertEqual(number("[bulan]"), "10")
        self.assertEqual(number("[bulan]", at=dt.date(2026, 3, 1)), "03")
        self.assertEqual(number("[tahun]"), "2026")
        self.assertEqual(number("S-[nomor]/Ds.[kode_desa]/[tahun]"), "S-7/Ds.2010/2026")

    def test_padding(self):
        self.assertEqual(number("[nomor:1]"), "7")
        self.assertEqual(number("[nomor:3]"), "007")
        self.assertEqual(number("[nomor:5]", sequence=42), "00042")
        # A number longer than the padding is printed whole, never cut.
        self.assertEqual(number("[nomor:3]", sequence=12345), "12345")
        self.assertEqual(number("[ nomor : 4 ]"), "0007")

    def test_roman_months_i_to_xii(self):
        expected = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
        got = [number("[bulan_romawi]", at=dt.date(2026, m, 15)) for m in range(1, 13)]
        self.assertEqual(got, expected)

    def test_opensid_spellings(self):
        self.assertEqual(
            number("[kode_surat]/[nomor_surat, 3]/[kode_desa]/[bulan_romawi]/[tahun]"),
            "474.1/007/2010/X/2026",
        )

    def test_date_is_read_in_the_village_time_zone(self):
        # 31 December 2026 17:30 UTC is already 1 January 2027 in Jakarta (UTC+7).
        at = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
        self.assertEqual(number("[bulan_romawi]/[tahun]", at=at), "I/2027")
        # An hour earlier it is 23:30 on 31 December in Jakarta.
        before = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
        self.assertEqual(number("[bulan_romawi]/[tahun]", at=before), "XII/2026")
        wit = village(tz="Asia/Jayapura")  # UTC+9
        at = dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)
        self.assertEqual(number("[tahun]", at=at, v=wit), "2027")

    def test_unknown_codes_are_a_clear_error(self):
        for fmt in ["[nomer]/[tahun]", "[nomor]/[tahun]/[desa]", "[NOMOR_SURAT_X]"]:
            with self.subTest(fmt=fmt), self.assertRaises(ValueError) as caught:
                number(fmt)
            self.assertIn("tidak dikenal", str(caught.exception))
            self.assertIn("[kode_klasifikasi]", str(caught.exception))  # lists what works

    def test_bad_padding_and_brackets(self):
        for fmt, words in [
            ("[nomor:0]", "1 sampai 10"),
            ("[nomor:11]", "1 sampai 10"),
            ("[nomor:x]", "1 sampai 10"),
            ("[tahun:2]", "Hanya [nomor]"),
            ("[nomor:3/[tahun]", "tidak berpasangan"),
            ("[nomor]]/[tahun]", "tidak berpasangan"),
            ("[nomor]/[tahun", "tidak berpasangan"),
        ]:
            with self.subTest(fmt=fmt), self.assertRaises(NumberFormatError) as caught:
                number(fmt)
            self.assertIn(words, str(caught.exception))

    def test_validation_when_staff_edit_the_format(self):
        validate_number_format(DEFAULT)
        validate_number_format("[nomor]/[tahun]")
        for fmt, words in [
            ("", "kosong"),
            ("[kode_klasifikasi]/[tahun]", "nomor urut"),
            ("[kode_klasifikasi]/[nomor:3]/[bulan_romawi]", "[tahun]"),
            ("[nomor]/[tahun]/[rt]", "tidak dikenal"),
        ]:
            with self.subTest(fmt=fmt), self.assertRaises(ValueError) as caught:
                validate_number_format(fmt)
            self.assertIn(words, str(caught.exception))
        with self.assertRaises(ValidationError):
            number_format_validator("[nomor]/[rt]")
        number_format_validator(DEFAULT)


class TakeNumberTest(BaseTestCase):
    def request(self, slug):
        return do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug=slug),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={"keperluan": "melamar pekerjaan"},
            attachments=[],
        )

    def take(self, slug, at):
        with transaction.atomic():
            return take_number(self.request(slug), at)

    def test_numbers_run_on_per_type_and_restart_each_year(self):
        at = dt.datetime(2026, 10, 3, 3, 0, tzinfo=dt.UTC)
        self.assertEqual(self.take("domisili", at), (1, "470/001/2010/X/2026"))
        self.assertEqual(self.take("domisili", at), (2, "470/002/2010/X/2026"))
        # SKTM has its own classification code and so its own sequence.
        self.assertEqual(self.take("sktm", at), (1, "460/001/2010/X/2026"))
        next_year = dt.datetime(2027, 1, 2, 3, 0, tzinfo=dt.UTC)
        self.assertEqual(self.take("domisili", next_year), (1, "470/001/2010/I/2027"))
        # The other village counts on its own, with its own code.
        other = LetterType.objects.get(village=self.other_village, slug="domisili")
        with transaction.atomic():
            got = take_number(
                do_submit_request(
                    letter_type=other,
                    resident=self.other_resident,
                    contact=self.other_resident,
                    identity="matched",
                    answers={},
                    attachments=[],
                ),
                at,
            )
        self.assertEqual(got, (1, "470/001/2012/X/2026"))

    def test_types_with_the_same_code_never_print_the_same_number(self):
        """SKCK, lost property and crowd permits are all 331: one sequence between them."""
        at = dt.datetime(2026, 10, 3, 3, 0, tzinfo=dt.UTC)
        got = [self.take(slug, at)[1] for slug in ("skck", "kehilangan", "keramaian", "skck")]
        self.assertEqual(
            got,
            [
                "331/001/2010/X/2026",
                "331/002/2010/X/2026",
                "331/003/2010/X/2026",
                "331/004/2010/X/2026",
            ],
        )

    def test_a_rolled_back_signature_gives_its_number_back(self):
        at = dt.datetime(2026, 10, 3, 3, 0, tzinfo=dt.UTC)
        request = self.request("domisili")
        with self.assertRaises(RuntimeError), transaction.atomic():
            self.assertEqual(take_number(request, at)[0], 1)
            raise RuntimeError("the PDF failed")
        self.assertEqual(self.take("domisili", at)[0], 1)
        self.assertEqual(Counter.objects.filter(scope__startswith="letter:").count(), 1)
