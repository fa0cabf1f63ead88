"""Logging filter that keeps identity numbers (NIK/KK, 16 digits) and Indonesian phone
numbers out of every log line: the message, and the traceback or stack printed with it
(an exception's text can quote a URL or a template context holding them)."""

import logging
import re

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
# +62 8…, 62 8… or 08…, 9 to 12 more digits, optionally grouped with spaces or dashes.
_PHONE = re.compile(r"(?<![\d+])((?:\+?62[ -]?|0)8\d)((?:[ -]?\d){5,9})((?:[ -]?\d){3})(?!\d)")


def _mask_phone(match: re.Match) -> str:
    return match[1] + re.sub(r"\d", "*", match[2]) + match[3]


def redact(text: str) -> str:
    text = _SIXTEEN_DIGITS.sub(r"\1********\2", text)
    return _PHONE.sub(_mask_phone, text)


class RedactIdentityNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # The formatter prints exc_text when set, instead of formatting exc_info again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
