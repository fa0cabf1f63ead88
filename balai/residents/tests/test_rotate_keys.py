"""`balai rotate_keys`: data written under key A is rewritten under key B (configured as
"B,A"), after which B alone reads everything and finds residents by NIK/KK."""

import io
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from balai.conversations.models import Conversation
from balai.lib import crypto
from balai.market.models import Seller, SocialAccount
from balai.residents.management.commands import rotate_keys
from balai.residents.models import Resident
from balai.test import ChannelTestCase
from balai.whatsapp.models import WhatsAppNumber

A = "rotation-key-a-" + "a" * 40
B = "rotation-key-b-" + "b" * 40
C = "rotation-key-c-" + "c" * 40
NIKS = [f"33110245019000{i:02d}" for i in range(11, 18)]  # none is a base resident's


def raw(model, field, pk):
    """The stored column, as the database holds it (ciphertext)."""
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(meta.get_field(field).column)} FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.pk.column)} = %s",
            [pk],
        )
        return cursor.fetchone()[0]


def rotate(*args):
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


class RotateKeysTest(ChannelTestCase):
    def setUp(self):
        from django.conf import settings

        # The base test case's two residents are under the test suite's own key.
        self.old = [A, settings.FIELD_ENCRYPTION_KEYS[0]]
        with override_settings(FIELD_ENCRYPTION_KEYS=[A]):
            self.people = [
                Resident.objects.create(
                    village=self.village, name=f"Warga {i}", nik=nik, kk=f"3311020101{i:06d}"
                )
                for i, nik in enumerate(NIKS)
            ]
            WhatsAppNumber.objects.filter(pk=self.number.pk).update(access_token="EAAG-secret")
            self.conv = Conversation.objects.create(
                village=self.village,
                resident=self.people[0],
                flow="letter",
                data={"nik": NIKS[0]},
                draft={"flow": "letter", "data": {"nik": NIKS[0]}},
            )
            seller = Seller.objects.create(
                village=self.village, resident=self.people[1], business_name="Sokasi", slug="s"
            )
            self.account = SocialAccount.objects.create(
                village=self.village, seller=seller, kind="facebook", access_token="page-token"
            )
        # A conversation written before its column was encrypted: plain JSON.
        self.legacy = Conversation.objects.create(village=self.village, resident=self.people[2])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE conversations_conversation SET data = %s WHERE id = %s",
                ['{"step": "lama"}', self.legacy.pk],
            )

    def test_finds_every_encrypted_field_by_introspection(self):
        found = {
            f"{model._meta.label}.{field.name}"
            for model, fields, _hashes in rotate_keys.encrypted_models()
            for field in fields
        }
        self.assertLessEqual(
            {
                "residents.Resident.nik",
                "residents.Resident.kk",
                "whatsapp.WhatsAppNumber.access_token",
                "market.SocialAccount.access_token",
                "conversations.Conversation.data",
                "conversations.Conversation.draft",
            },
            found,
        )
        hashes = {m._meta.label: h for m, _f, h in rotate_keys.encrypted_models()}
        self.assertEqual(hashes["residents.Resident"], {"nik_hash": "nik", "kk_hash": "kk"})

    def test_rotate_from_a_to_b_then_b_alone_reads_and_finds_everything(self):
        with override_settings(FIELD_ENCRYPTION_KEYS=[B, *self.old]):
            # Before the command runs: old rows still read, and NIK lookups still find them
            # by the old key's hash.
            self.assertEqual(Resident.objects.get(pk=self.people[3].pk).nik, NIKS[3])
            self.assertEqual(Resident.objects.with_nik(NIKS[3]).get(), self.people[3])
            self.assertEqual(Resident.objects.search(NIKS[4]).get(), self.people[4])

            before = raw(Resident, "nik", self.people[0].pk)
            out = rotate("--dry-run")
            self.assertIn("Dry run", out)
            self.assertIn("residents.Resident: 9 rows, 17 values re-encrypted", out)
            self.assertEqual(raw(Resident, "nik", self.people[0].pk), before)

            out = rotate("--batch-size", "2")
            self.assertIn("residents.Resident: 9 rows, 17 values re-encrypted, 17 lookup", out)
            self.assertIn("whatsapp.WhatsAppNumber: 2 rows, 1 values re-encrypted", out)
            self.assertIn("market.SocialAccount: 1 rows, 1 values re-encrypted", out)
            self.assertIn("conversations.Conversation: 2 rows, 3 values re-encrypted", out)
            self.assertIn("keys after it can now be removed", out)
            # Idempotent: a second run has nothing to do.
            self.assertIn("Total: 0 values and 0 hashes were rewritten", rotate())

        with override_settings(FIELD_ENCRYPTION_KEYS=[B]):
            for person, nik in zip(self.people, NIKS, strict=True):
                person = Resident.objects.get(pk=person.pk)
                self.assertEqual(person.nik, nik)
                self.assertEqual(Resident.objects.with_nik(nik).get(), person)
            self.assertEqual(Resident.objects.search("3311020101000005").get(), self.people[5])
            self.assertEqual(
                WhatsAppNumber.objects.get(pk=self.number.pk).access_token, "EAAG-secret"
            )
            self.assertEqual(
                SocialAccount.objects.get(pk=self.account.pk).access_token, "page-token"
            )
            conv = Conversation.objects.get(pk=self.conv.pk)
            self.assertEqual(conv.data, {"nik": NIKS[0]})
            self.assertEqual(conv.draft["data"]["nik"], NIKS[0])
            self.assertEqual(Conversation.objects.get(pk=self.legacy.pk).data, {"step": "lama"})
            self.assertTrue(raw(Conversation, "data", self.legacy.pk).startswith("gAAAA"))
            # No ciphertext carries the plain value.
            self.assertNotIn(NIKS[0], raw(Resident, "nik", self.people[0].pk))

        with override_settings(FIELD_ENCRYPTION_KEYS=[A]), self.assertRaises(ValueError):
            Resident.objects.get(pk=self.people[0].pk)  # A alone no longer opens them

    def test_an_interrupted_run_resumes_and_unknown_keys_are_reported(self):
        with override_settings(FIELD_ENCRYPTION_KEYS=[B, *self.old]):
            calls = []
            real = rotate_keys.write_batch

            def crash_on_second(*args):
                calls.append(1)
                if len(calls) == 2:
                    raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process
                real(*args)

            with (
                mock.patch.object(rotate_keys, "write_batch", crash_on_second),
                self.assertRaises(KeyboardInterrupt),
            ):
                rotate("--batch-size", "3")
            done = [p for p in self.people if _opens_with(B, raw(Resident, "nik", p.pk))]
            self.assertEqual(done, self.people[:1])  # the first batch was committed
            out = rotate("--batch-size", "3")
            self.assertIn("residents.Resident: 9 rows, 12 values re-encrypted", out)
            self.assertIn("Total: 0 values", rotate())

        # A value under a key that is no longer configured is reported, never lost.
        with override_settings(FIELD_ENCRYPTION_KEYS=[C]):
            Resident.objects.create(village=self.village, name="Baru", nik="3311024501900099")
        with override_settings(FIELD_ENCRYPTION_KEYS=[B]), self.assertRaises(CommandError) as e:
            rotate()
        self.assertIn("open with none of the configured keys", str(e.exception))

    def test_two_residents_with_one_nik_under_different_keys_are_reported(self):
        # Written while the unique constraint could not see it (hashes under two keys).
        with override_settings(FIELD_ENCRYPTION_KEYS=[C]):
            Resident.objects.create(village=self.village, name="Dobel", nik=NIKS[0])
        with override_settings(FIELD_ENCRYPTION_KEYS=[B, C, *self.old]):
            out = rotate()
        self.assertIn("1 hash conflicts", out)
        self.assertIn("merge those residents", out)
        self.assertNotIn("can now be removed", out)


def _opens_with(key: str, token: str) -> bool:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        try:
            crypto.decrypt(token)
        except ValueError:
            return False
        return True
