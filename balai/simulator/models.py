"""What the fake Cloud API and the simulated phones remember.

``SimMessage`` is both sides of every simulated chat: "in" rows are what a simulated resident
sent (the ``messages[]`` element posted to the webhook), "out" rows are the exact bodies the
real sender POSTed to the fake ``/messages``. ``SimMedia`` holds files either side uploaded;
``SimFault`` makes the fake API misbehave on purpose.
"""

import secrets

from django.db import models
from django.utils import timezone


def new_wamid() -> str:
    return "wamid.SIM" + secrets.token_urlsafe(24)


def new_media_id() -> str:
    # Meta's media ids are long decimal strings (reference/whatsapp.md §1.5).
    return str(10**15 + secrets.randbelow(9 * 10**15))


class SimMessage(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "dari warga"
        OUT = "out", "dari desa"

    # Forward order of an "out" message's states; a late webhook never moves one back.
    RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

    phone_number_id = models.CharField(max_length=40)
    wa_id = models.CharField(max_length=40, blank=True, help_text="The resident's number, digits")
    user_id = models.CharField("BSUID", max_length=140, blank=True)
    name = models.CharField(max_length=150, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    wamid = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(
        help_text="out: the exact body POSTed to /messages; in: the messages[] element sent"
    )
    status = models.CharField(
        max_length=10, help_text="out: accepted/sent/delivered/read/failed; in: sent/read"
    )
    error = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["phone_number_id", "wa_id"]),
            models.Index(fields=["phone_number_id", "user_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.wa_id or self.user_id} {self.wamid} ({self.status})"


class SimDelivery(models.Model):
    """Per simulated number: whether a task to post its messages' statuses is queued, so the
    fake Cloud API queues one task for a burst of sends rather than one per message."""

    phone_number_id = models.CharField(max_length=40, unique=True)
    scheduled = models.BooleanField(default=False)
    scheduled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.phone_number_id} ({'scheduled' if self.scheduled else 'idle'})"


class SimMedia(models.Model):
    media_id = models.CharField(max_length=40, unique=True, default=new_media_id)
    phone_number_id = models.CharField(max_length=40)
    mime_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64, help_text="Hex digest")
    filename = models.CharField(max_length=255, blank=True)
    data = models.BinaryField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.media_id} {self.mime_type} {self.filename}"


class SimFault(models.Model):
    """The next sends from one number go wrong in this way (``remaining`` -1: until cleared)."""

    class Kind(models.TextChoices):
        RATE_LIMIT = "rate_limit", "130429 batas throughput (HTTP 429)"
        PAIR_LIMIT = "pair_limit", "131056 terlalu sering ke warga yang sama"
        OUTSIDE_WINDOW = "outside_window", "131047 lewat 24 jam"
        UNDELIVERABLE = "undeliverable", "131026 tidak dapat dikirim"
        SERVER_ERROR = "server_error", "131000 galat server (HTTP 500)"
        TOKEN_EXPIRED = "token_expired", "190 token kedaluwarsa (HTTP 401)"
        TIMEOUT = "timeout", "waktu habis (jawaban sangat lambat)"
        SLOW = "slow", "lambat (jawaban tertunda)"
        ASYNC_FAILED = "async_failed", "diterima, lalu status failed 131026"

    phone_number_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    remaining = models.IntegerField(default=1)
    delay_seconds = models.FloatField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.phone_number_id} {self.kind} ×{self.remaining}"
