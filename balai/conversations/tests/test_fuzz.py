"""Property-based fuzzing of the conversation engine: random sequences of what residents
send (text, taps on real and stale buttons, media, locations, reactions) never crash the
handler, never leave a message unprocessed, never echo an identity number, and never
answer one message with a storm."""

import itertools
import re

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from balai.core.models import TaskFailure
from balai.whatsapp.models import InboundMessage, OutboundMessage
from balai.whatsapp.tests.base import WebhookTestCase
from balai.whatsapp.tests.meta import message

PHRASES = [
    "halo", "P", "menu", "batal", "kembali", "bantuan", "petugas", "lanjut", "kirim", "ubah",
    "ya", "tidak", "1", "2", "5", "12", "0", "lewati", "nanti", "cek status", "ADUAN",
    "LAYANAN SKTM", "LAYANAN DOMISILI", "ASPIRASI", "INFO", "sy mw bkin srt domisili gmn y",
    "syarat skck apa aja", "lampu jalan mati di rt 3", "suksma", "laku 3 sokasi 150rb",
    "3311021503850007", "3311024501900001", "12345", "9911021503850007", "15-03-1985",
    "31-02-1990", "Budi Santoso", "1,5jt", "PDK-2611-0001", "PON-2611-0001", "🙏😂",
    "berhenti", "langganan info", "sudah beres", "belum", "x" * 4100,
]  # fmt: skip
REPLY_IDS = [
    "menu:surat", "menu:status", "menu:aduan", "menu:info", "menu:petugas", "subject:self",
    "subject:other", "letter:sktm", "letter:_page1", "letter:nope", "confirm:kirim",
    "confirm:ubah", "global:batal", "global:menu", "global:petugas", "global:lanjut",
    "kind:complaint", "category:jalan", "show_name:ya", "_edit:nik", "dym:complaint",
    "dym:bogus", "fu:PON-2611-0001:ya", "req:sktm", "topic:kantor", "topic:faq", "zzz",
]  # fmt: skip
_numbers = itertools.count(1)

texts = st.one_of(st.sampled_from(PHRASES), st.text(min_size=1, max_size=300))
taps = st.tuples(st.sampled_from(["button_reply", "list_reply"]), st.sampled_from(REPLY_IDS))
others = st.sampled_from(["image", "document", "audio", "voice", "sticker", "video",
                          "location", "reaction", "unsupported", "contacts"])  # fmt: skip
moves = st.lists(st.one_of(texts, taps, others), min_size=3, max_size=10)
SIXTEEN_DIGITS = re.compile(r"\d{16}")


@override_settings(
    CONVERSATION_FLOOD_LIMIT=1000, WHATSAPP_PAIR_BURST=45, WHATSAPP_PAIR_INTERVAL_SECONDS=1
)
class ConversationFuzzTest(HypothesisTestCase, WebhookTestCase):
    HANDLER = "balai.conversations.engine.handle"

    def element(self, move, wa_id):
        if isinstance(move, str) and move in {"image", "document", "audio", "voice",
                                              "sticker", "video", "location", "reaction",
                                              "unsupported", "contacts"}:  # fmt: skip
            m = message(move, wa_id=wa_id)
            if move in {"image", "document", "sticker", "audio", "voice", "video"}:
                kind = m["type"]
                mime = m[kind].get("mime_type", "image/jpeg").split(";")[0]
                m[kind]["id"] = f"MEDIA{next(_numbers)}"
                m[kind]["sha256"] = self.meta.add_media(m[kind]["id"], b"\x89PNG fuzz", mime)
            return m
        if isinstance(move, tuple):
            kind, reply_id = move
            return message(kind, wa_id=wa_id, interactive={
                "type": kind, kind: {"id": reply_id, "title": reply_id[:20] or "x"},
            })  # fmt: skip
        return message("text", wa_id=wa_id, text={"body": move})

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(moves)
    def test_random_conversations(self, sequence):
        wa_id = f"62857{next(_numbers):08d}"
        for move in sequence:
            before = OutboundMessage.objects.exclude(kind="read").count()
            self.receive(self.element(move, wa_id))
            replies = OutboundMessage.objects.exclude(kind="read").count() - before
            self.assertLessEqual(replies, 4, f"{move!r} got {replies} replies")
        states = set(InboundMessage.objects.filter(wa_id=wa_id).values_list("state", flat=True))
        self.assertEqual(states, {"processed"})
        self.assertFalse(TaskFailure.objects.exists())
        for row in OutboundMessage.objects.exclude(kind="read"):
            self.assertIsNone(SIXTEEN_DIGITS.search(str(row.payload)), row.payload)
