import io
import json

from django.core.management import call_command


def classify(lines: str) -> list[dict]:
    out = io.StringIO()
    call_command("nlu", "classify", stdin=io.StringIO(lines), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_classify_json_lines():
    records = classify("sy mw bkin srt domisili gmn y\n\nsuksma 🙏\r\nberhenti")
    assert [r["text"] for r in records] == ["sy mw bkin srt domisili gmn y", "", "suksma 🙏",
                                            "berhenti"]  # fmt: skip
    assert records[0] | {"confidence": 0} == {
        "text": "sy mw bkin srt domisili gmn y",
        "intent": "letter_request",
        "letter_type": "domisili",
        "confidence": 0,
    }
    assert records[1]["intent"] == "unknown" and records[1]["letter_type"] is None
    assert [r["intent"] for r in records[2:]] == ["thanks", "unsubscribe"]
    for r in records:
        assert set(r) == {"text", "intent", "letter_type", "confidence"}
        assert r["confidence"] == round(r["confidence"], 3) and 0 <= r["confidence"] <= 1
