"""The real-world payload corpus from pywa, read in place from ../shared when present.

Every payload is pointed at a demo village, given fresh message ids (the corpus reuses them),
signed and posted: each must be answered 200, stored, and handled without an error.
"""

import copy
import itertools
import json
from pathlib import Path

import pytest
from django.conf import settings

from balai.conftest import require_service
from balai.whatsapp.models import InboundMessage, StatusEvent, WebhookProblem
from balai.whatsapp.tests.base import WebhookTestCase

CORPUS = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "whatsapp" / "pywa"
_fresh = itertools.count(1)


def corpus_cases():
    for path in sorted(CORPUS.glob("*.json")):
        for name, payload in json.loads(path.read_text()).items():
            yield f"{path.stem}/{name}", payload


def retarget(payload: dict, phone_number_id: str) -> tuple[dict, list[str]]:
    payload = copy.deepcopy(payload)
    wamids = []
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            if isinstance(value.get("metadata"), dict):
                value["metadata"]["phone_number_id"] = phone_number_id
            for message in value.get("messages", []):
                message["id"] = f"wamid.CORPUS{next(_fresh)}"
                wamids.append(message["id"])
            for status in value.get("statuses", []):
                status["id"] = f"wamid.CORPUSSTATUS{next(_fresh)}"
    return payload, wamids


class PywaCorpusTest(WebhookTestCase):
    def test_every_corpus_payload_is_accepted_stored_and_handled(self):
        try:
            require_service(CORPUS.is_dir(), f"the pywa corpus is not at {CORPUS}")
        except pytest.skip.Exception as e:
            self.skipTest(str(e))
        cases = list(corpus_cases())
        self.assertGreater(len(cases), 40)
        for name, payload in cases:
            with self.subTest(case=name):
                body, wamids = retarget(payload, self.number.phone_number_id)
                problems = WebhookProblem.objects.count()
                statuses = StatusEvent.objects.count()
                response = self.post(body)
                self.assertEqual(response.status_code, 200)
                for wamid in wamids:
                    message = InboundMessage.objects.get(wamid=wamid)
                    self.assertEqual(message.state, "processed", message.error)
                    self.assertEqual(message.village, self.village)
                # Whatever was not a message went somewhere visible.
                self.assertTrue(
                    wamids
                    or StatusEvent.objects.count() > statuses
                    or WebhookProblem.objects.count() > problems,
                    name,
                )
