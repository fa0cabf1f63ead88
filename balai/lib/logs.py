"""Logging filter that keeps NIK/KK numbers (16 digits) out of every log line."""

import logging
import re

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def redact(text: str) -> str:
    return _SIXTEEN_DIGITS.sub(r"\1********\2", text)


class RedactIdentityNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
