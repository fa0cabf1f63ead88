"""Opaque codes for URLs and tickets: never expose integer ids."""

import secrets

# Crockford-like alphabet without 0/O/1/I/L so codes read well over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
