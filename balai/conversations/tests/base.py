"""Conversations driven through the simulator: a resident's messages go through the real
webhook, inbox and engine, and the replies are read from what the fake Cloud API received."""

from django.test import override_settings

from balai.simulator.models import SimMessage
from balai.simulator.tests.base import PNG, SimulatorTestCase

__all__ = ["PNG", "ConversationTestCase"]


class ConversationTestCase(SimulatorTestCase):
    HANDLER = "balai.conversations.engine.handle"
    WA_ID = "6285712345678"  # nobody in the register: a new resident

    def setUp(self):
        super().setUp()
        self.seen = 0
        # Tests answer within milliseconds, far faster than any person: only the flood test
        # uses the production limit.
        # Likewise Meta's pair limit (1 message per 6 s to one person, short bursts allowed).
        self.enterContext(
            override_settings(
                CONVERSATION_FLOOD_LIMIT=1000,
                WHATSAPP_PAIR_BURST=45,
                WHATSAPP_PAIR_INTERVAL_SECONDS=1,
            )
        )

    def send(self, text=None, **content):
        """Send one message; return the payloads Balai sent back to the fake API for it."""
        if text is not None:
            content["text"] = text
        self.say(**content)
        return self.replies()

    def replies(self):
        out = SimMessage.objects.filter(direction="out", wa_id=self.WA_ID).order_by("pk")
        new = [m.payload for m in out[self.seen :]]
        self.seen += len(new)
        return new

    @staticmethod
    def body(payload) -> str:
        """The visible text of a reply, whatever its type."""
        if payload["type"] == "text":
            return payload["text"]["body"]
        if payload["type"] == "interactive":
            return payload["interactive"]["body"]["text"]
        if payload["type"] == "template":
            return payload["template"]["name"]
        return ""

    def texts(self, payloads) -> str:
        return "\n---\n".join(self.body(p) for p in payloads)

    @staticmethod
    def choices(payload) -> list[tuple[str, str]]:
        """(id, title) of the buttons or list rows of an interactive reply."""
        inter = payload["interactive"]
        if inter["type"] == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in inter["action"]["buttons"]]
        return [
            (row["id"], row["title"])
            for section in inter["action"]["sections"]
            for row in section["rows"]
        ]

    def tap(self, payload, title_or_id: str):
        """Tap a button or list row of ``payload`` the way WhatsApp reports it."""
        for choice_id, title in self.choices(payload):
            if title_or_id in {choice_id, title} or title.endswith(f". {title_or_id}"):
                key = "button_reply" if payload["interactive"]["type"] == "button" else "list_reply"
                return self.send(**{key: {"id": choice_id, "title": title}})
        raise AssertionError(f"no choice {title_or_id!r} in {self.choices(payload)}")

    def photo(self, caption=""):
        import base64

        spec = {"mime_type": "image/png", "data": base64.b64encode(PNG).decode()}
        if caption:
            spec["caption"] = caption
        return self.send(image=spec)
