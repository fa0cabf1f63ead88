from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from balai.lib.logs import redact
from balai.residents.identity import (
    mask_identity,
    nik_birth_date,
    nik_is_female,
    normalise_phone,
    validate_kk,
    validate_nik,
)


class NikTest(SimpleTestCase):
    def test_accepts_valid_nik_with_spaces_and_dots(self):
        self.assertEqual(validate_nik("3311 0245 0190 0001"), "3311024501900001")
        self.assertEqual(validate_nik("3311.02.450190.0001"), "3311024501900001")

    def test_reads_birth_date_and_gender(self):
        self.assertEqual(str(nik_birth_date("3311024501900001")), "1990-01-05")
        self.assertTrue(nik_is_female("3311024501900001"))
        self.assertFalse(nik_is_female("3311020501900001"))

    def test_rejections_say_what_is_wrong(self):
        cases = {
            "331102450190000": "16 angka (yang Anda tulis 15 angka)",
            "33110245019000a1": "hanya berisi angka",
            "9911024501900001": "bukan kode provinsi",
            "3300024501900001": "tidak boleh 00",
            "3311023201900001": "tanggal lahir",
            "3311024513900001": "tanggal lahir",
            "3311024501900000": "0000",
        }
        for value, message in cases.items():
            with self.subTest(value=value), self.assertRaisesMessage(ValidationError, message):
                validate_nik(value)

    def test_kk(self):
        self.assertEqual(validate_kk("3311020101100002"), "3311020101100002")
        with self.assertRaisesMessage(ValidationError, "16 angka"):
            validate_kk("12345")

    def test_mask(self):
        self.assertEqual(mask_identity("3201123456780001"), "3201********0001")
        self.assertEqual(mask_identity(""), "")

    def test_logs_never_carry_a_full_nik(self):
        self.assertEqual(redact("nik=3311024501900001 ok"), "nik=3311********0001 ok")
        # Phone numbers are masked too (balai/core/tests/test_logs_clean.py); other long
        # numbers (Meta's ids, timestamps) are left alone.
        self.assertEqual(redact("wa 6281234567890"), "wa 6281******890")
        self.assertEqual(
            redact("id 106540352242922 at 1764490000"), "id 106540352242922 at 1764490000"
        )


class PhoneTest(SimpleTestCase):
    def test_normalises_indonesian_forms(self):
        for raw in ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "081234567890"]:
            with self.subTest(raw=raw):
                self.assertEqual(normalise_phone(raw), "+6281234567890")

    def test_rejects_garbage(self):
        for raw in ["abc", "123", ""]:
            with self.subTest(raw=raw), self.assertRaises(ValidationError):
                normalise_phone(raw)
