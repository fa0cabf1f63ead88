"""Random messages from several residents at once (one in the register, one new, one
flooding) never mix their conversations up, and from any state ``batal`` then ``menu``
brings each back to the main menu: the assistant cannot be steered into a loop it will not
leave. Completes test_fuzz.py, which drives one new resident at a time."""

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from balai.conversations.tests import test_fuzz as single_resident
from balai.core.models import TaskFailure
from balai.whatsapp.models import InboundMessage, OutboundMessage
from balai.whatsapp.tests.base import WebhookTestCase
from balai.whatsapp.tests.meta import message

MENU_IDS = ["menu:surat", "menu:status", "menu:aduan", "menu:info", "menu:petugas"]
REGISTERED, NEW = "6281234567890", "6285799990001"  # Siti Aminah (the register), nobody


@override_settings(
    CONVERSATION_FLOOD_LIMIT=1000, WHATSAPP_PAIR_BURST=45, WHATSAPP_PAIR_INTERVAL_SECONDS=1
)
class InterleavedResidentsFuzzTest(HypothesisTestCase, WebhookTestCase):
    HANDLER = "balai.conversations.engine.handle"
    element = single_resident.ConversationFuzzTest.element

    def replies_to(self, wa_id):
        return OutboundMessage.objects.exclude(kind="read").filter(resident__phone=f"+{wa_id}")

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.lists(
            st.tuples(st.sampled_from([REGISTERED, NEW]), single_resident.moves),
            min_size=1,
            max_size=3,
        )
    )
    def test_interleaved_residents_always_find_the_menu_again(self, turns):
        for wa_id, sequence in turns:
            for move in sequence:
                before = OutboundMessage.objects.exclude(kind="read").count()
                self.receive(self.element(move, wa_id))
                replies = OutboundMessage.objects.exclude(kind="read").count() - before
                self.assertLessEqual(replies, 4, f"{move!r} got {replies} replies")
        for wa_id in {wa_id for wa_id, _ in turns}:
            self.receive(message("text", wa_id=wa_id, text={"body": "batal"}))
            self.receive(message("text", wa_id=wa_id, text={"body": "menu"}))
            last = self.replies_to(wa_id).order_by("pk").last()
            self.assertIsNotNone(last)
            payload = str(last.payload)
            self.assertTrue(all(i in payload for i in MENU_IDS), (wa_id, last.payload))
        self.assertEqual(set(InboundMessage.objects.values_list("state", flat=True)), {"processed"})
        self.assertFalse(TaskFailure.objects.exists())
        # Nobody received a reply meant for the other.
        for row in OutboundMessage.objects.exclude(kind="read"):
            self.assertIn(row.resident.phone, {f"+{REGISTERED}", f"+{NEW}"})
            self.assertEqual(f"+{row.to}", row.resident.phone)
