"""The WhatsApp channel's durable state: numbers, inbox, outbox, media, templates.

Inbound messages are rows (unique on Meta's wamid) written before the webhook answers 200;
outbound messages are rows drained by the sender. Every state change is recorded here.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from balai.lib.codes import new_code
from balai.lib.crypto import EncryptedCharField
from balai.residents.models import Resident
from balai.villages.models import Village

WINDOW = dt.timedelta(hours=24)


class WhatsAppNumber(models.Model):
    """A village's sending number on the Cloud API (or on the simulator until connected)."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="whatsapp")
    phone_number_id = models.CharField(max_length=40, unique=True)
    waba_id = models.CharField("WhatsApp Business Account id", max_length=40, blank=True)
    display_number = models.CharField(
        max_length=20, blank=True, help_text="Tanpa +, seperti di webhook: 15550783881"
    )
    verified_name = models.CharField(max_length=150, blank=True)
    access_token = EncryptedCharField(blank=True)
    # Meta's Graph API, a Business Solution Provider in front of it, or the simulator.
    api_base_url = models.URLField(blank=True, help_text="Kosong = simulator / WHATSAPP_API_BASE")
    auth_header = models.CharField(
        max_length=50,
        default="Authorization",
        help_text="Beberapa BSP memakai header lain, mis. D360-API-KEY",
    )
    is_simulated = models.BooleanField(default=True)
    throughput_per_second = models.PositiveIntegerField(default=80)
    paused_reason = models.CharField(max_length=300, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "nomor WhatsApp"
        verbose_name_plural = "nomor WhatsApp"

    def __str__(self) -> str:
        return f"{self.display_number or self.phone_number_id} ({self.village.name})"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def base_url(self) -> str:
        if self.is_simulated:
            return f"{settings.SITE_URL}/simulator/graph/v25.0"
        return (self.api_base_url or settings.WHATSAPP_API_BASE).rstrip("/")

    def auth_value(self) -> str:
        token = self.access_token or ("simulator" if self.is_simulated else "")
        return f"Bearer {token}" if self.auth_header.lower() == "authorization" else token


class Contact(models.Model):
    """WhatsApp state of one resident: the 24-hour window and template opt-in."""

    resident = models.OneToOneField(
        Resident, on_delete=models.CASCADE, primary_key=True, related_name="whatsapp"
    )
    village = models.ForeignKey(Village, on_delete=models.CASCADE)
    profile_name = models.CharField(max_length=150, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    opt_in_text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"WhatsApp {self.resident}"

    def window_open(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.last_inbound_at is not None and at - self.last_inbound_at < WINDOW


class InboundQuerySet(models.QuerySet):
    def insert_new(self, **values) -> int | None:
        """Insert one message unless its wamid is already stored; return the new id or None.

        The webhook's hot path: one ``INSERT … ON CONFLICT (wamid) DO NOTHING RETURNING id``
        instead of a savepoint, an insert and a caught error.
        """
        from balai.lib.sql import insert_row

        values.setdefault("received_at", timezone.now())
        values.setdefault("state", self.model.State.RECEIVED)
        values.setdefault("attempts", 0)
        values.setdefault("error", "")
        return insert_row(self.model, values, skip_conflict_on="wamid")


class InboundMessage(models.Model):
    class State(models.TextChoices):
        RECEIVED = "received", "diterima"
        PROCESSED = "processed", "diproses"
        FAILED = "failed", "gagal diproses"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="inbound")
    number = models.ForeignKey(WhatsAppNumber, on_delete=models.CASCADE)
    wamid = models.CharField(max_length=200, unique=True)
    wa_id = models.CharField(max_length=40, blank=True)
    user_id = models.CharField("BSUID", max_length=140, blank=True)
    profile_name = models.CharField(max_length=150, blank=True)
    type = models.CharField(max_length=30)
    message = models.JSONField(help_text="The messages[] element exactly as received")
    sent_at = models.DateTimeField(help_text="The user's send time (Meta's timestamp)")
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="whatsapp_inbound"
    )
    # The sender edited or deleted this message later (types "edit" and "revoke").
    edited_message = models.JSONField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InboundQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["resident", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} from {self.wa_id or self.user_id}"

    @property
    def text(self) -> str:
        """What the person said, whatever the type (text, caption, button or row title)."""
        m = self.message
        kind = self.type
        if kind == "text":
            return (m.get("text") or {}).get("body", "")
        if kind == "interactive":
            inter = m.get("interactive") or {}
            reply = inter.get(inter.get("type", "")) or {}
            return reply.get("title", "") if isinstance(reply, dict) else ""
        if kind == "button":
            return (m.get("button") or {}).get("text", "")
        if kind in {"image", "video", "document"}:
            return (m.get(kind) or {}).get("caption", "")
        return ""

    @property
    def reply_id(self) -> str:
        """The id of a tapped button or list row (or a template quick-reply payload)."""
        m = self.message
        if self.type == "interactive":
            inter = m.get("interactive") or {}
            reply = inter.get(inter.get("type", "")) or {}
            return reply.get("id", "") if isinstance(reply, dict) else ""
        if self.type == "button":
            return (m.get("button") or {}).get("payload", "")
        return ""


class Media(models.Model):
    """A file received on WhatsApp, downloaded at once (Meta's URL lasts 5 minutes)."""

    class State(models.TextChoices):
        PENDING = "pending", "menunggu"
        STORED = "stored", "tersimpan"
        FAILED = "failed", "gagal"

    village = models.ForeignKey(Village, on_delete=models.CASCADE)
    message = models.OneToOneField(InboundMessage, on_delete=models.CASCADE, related_name="media")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    media_id = models.CharField(max_length=100)
    mime_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=100, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="whatsapp/%Y/%m/", blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.message.type} {self.media_id} ({self.state})"


class Template(models.Model):
    """A message template registered with Meta for one village's number."""

    class Category(models.TextChoices):
        UTILITY = "utility", "Utility"
        MARKETING = "marketing", "Marketing"
        AUTHENTICATION = "authentication", "Authentication"

    class Status(models.TextChoices):
        DRAFT = "draft", "draf"
        SUBMITTED = "submitted", "diajukan"
        APPROVED = "approved", "disetujui"
        REJECTED = "rejected", "ditolak"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="templates")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=10, default="id")
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.UTILITY)
    body = models.TextField(help_text="Teks dengan {{1}}, {{2}}, … seperti yang diajukan ke Meta")
    parameters = models.JSONField(
        default=list, blank=True, help_text="Nama tiap parameter, urut {{1}}, {{2}}, …"
    )
    # What Balai uses it for, e.g. "reengage" when a reply falls outside the 24-hour window.
    purpose = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["village", "name", "language"], name="template_unique_per_village"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class OutboundQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state__in=[OutboundMessage.State.QUEUED, OutboundMessage.State.SENDING])


class OutboundMessage(models.Model):
    """The outbox: one row per message Balai sends, with every state and error."""

    class State(models.TextChoices):
        QUEUED = "queued", "antre"
        SENDING = "sending", "dikirim"
        SENT = "sent", "terkirim"
        DELIVERED = "delivered", "sampai"
        READ = "read", "dibaca"
        FAILED = "failed", "gagal"

    # Forward order of states; status webhooks never move a message backwards.
    RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4, "failed": 5}

    class Kind(models.TextChoices):
        TEXT = "text"
        BUTTONS = "buttons"
        LIST = "list"
        IMAGE = "image"
        DOCUMENT = "document"
        LOCATION = "location"
        TEMPLATE = "template"
        READ = "read", "read receipt"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="outbound")
    number = models.ForeignKey(WhatsAppNumber, on_delete=models.CASCADE)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="whatsapp_outbound"
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    to = models.CharField(max_length=140, help_text="wa_id/phone digits, or a BSUID")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField(help_text="The exact request body for /messages")
    purpose = models.CharField(
        max_length=50, blank=True, help_text="Template purpose to fall back to outside the window"
    )
    # The staff member who wrote it in the inbox (empty: the assistant or the system).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Values for the fallback template's named parameters (besides nama and desa).
    template_values = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error_code = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    needs_attention = models.BooleanField(default=False)
    # A free-form message swapped for a template outside the 24-hour window: kept here and
    # sent once the resident answers (balai.whatsapp.outbox.do_send_waiting).
    waiting_kind = models.CharField(max_length=10, blank=True)
    waiting_payload = models.JSONField(null=True, blank=True)
    wamid = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["number", "to", "state"]),
        ]
        constraints = [models.CheckConstraint(condition=~Q(to=""), name="outbound_has_recipient")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.state}"


class StatusEvent(models.Model):
    """A status webhook (sent/delivered/read/played/failed), kept even before its message
    is known: a status can overtake the send response that tells us the wamid."""

    wamid = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    timestamp = models.DateTimeField()
    payload = models.JSONField()
    applied = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wamid", "status"], name="one_status_event_each")
        ]
        indexes = [models.Index(fields=["applied", "received_at"])]

    def __str__(self) -> str:
        return f"{self.wamid} {self.status}"


class WebhookProblem(models.Model):
    """What a webhook carried that no village can take: an unknown phone_number_id, a
    value-level ``errors[]``, or an element that cannot be read. Shown to platform operators."""

    class Kind(models.TextChoices):
        UNKNOWN_NUMBER = "unknown_number", "nomor tidak dikenal"
        PLATFORM_ERROR = "platform_error", "galat dari Meta"
        UNREADABLE = "unreadable", "tidak terbaca"
        OTHER_FIELD = "other_field", "jenis webhook lain"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    village = models.ForeignKey(Village, on_delete=models.CASCADE, null=True, blank=True)
    phone_number_id = models.CharField(max_length=40, blank=True)
    code = models.IntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail[:60]}"


class ChannelAlert(models.Model):
    """Something a village's operators must act on (a paused number, a message that needs a
    template)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="alerts")
    code = models.IntegerField(null=True, blank=True)
    message = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.message[:80]


class RateBucket(models.Model):
    """Token-bucket state for rate limits when there is no Redis (shared by all processes)."""

    key = models.CharField(max_length=200, primary_key=True)
    tokens = models.FloatField()
    updated = models.FloatField(help_text="Unix time of the last refill")

    def __str__(self) -> str:
        return f"{self.key}: {self.tokens:.1f}"
