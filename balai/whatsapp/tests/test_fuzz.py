"""Property-based fuzzing of the webhook: hostile and malformed envelopes never cause a 500,
never crash, and never leave half-stored rows."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from balai.whatsapp.models import InboundMessage, WebhookProblem
from balai.whatsapp.tests.base import WebhookTestCase
from balai.whatsapp.tests.meta import envelope, message

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)

KEYS = [
    "object",
    "entry",
    "changes",
    "value",
    "field",
    "metadata",
    "phone_number_id",
    "messages",
    "statuses",
    "contacts",
    "errors",
    "id",
    "from",
    "type",
    "text",
    "body",
    "timestamp",
    "interactive",
    "image",
    "wa_id",
    "user_id",
    "from_user_id",
    "status",
]


def mutate(data, draw_value, path_choices):
    """Replace one nested value of a valid envelope with something arbitrary."""
    node = data
    for key in path_choices[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and node:
            node = node[0]
        else:
            break
    if isinstance(node, dict):
        node[path_choices[-1]] = draw_value
    elif isinstance(node, list) and node:
        node[0] = draw_value
    return data


class WebhookFuzzTest(HypothesisTestCase, WebhookTestCase):
    # Each example runs in its own rolled-back transaction.

    def check(self, raw: bytes):
        before = InboundMessage.objects.count()
        response = self.post(raw)
        self.assertEqual(response.status_code, 200)
        for stored in InboundMessage.objects.all()[before:]:
            self.assertTrue(stored.wamid)
            self.assertEqual(stored.state, "processed", stored.error)
        self.assertTrue(
            InboundMessage.objects.count() > before
            or WebhookProblem.objects.exists()
            or b"statuses" in raw
        )

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(json_values)
    def test_arbitrary_json(self, value):
        self.check(json.dumps(value).encode())

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        kind=st.sampled_from(
            ["text", "image", "button_reply", "location", "reaction", "unsupported", "edit"]
        ),
        value=json_values,
        path=st.lists(st.sampled_from(KEYS), min_size=1, max_size=6),
    )
    def test_mutated_valid_envelopes(self, kind, value, path):
        self.check(json.dumps(mutate(envelope(message(kind)), value, path)).encode())

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.binary(max_size=300))
    def test_arbitrary_bytes(self, raw):
        self.check(raw)
