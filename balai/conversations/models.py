"""The state of each resident's conversation with the village's WhatsApp assistant."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from balai.lib.codes import new_code
from balai.lib.crypto import EncryptedJSONField
from balai.residents.models import Resident
from balai.villages.models import Village

DRAFT_HOURS = 24


class ConversationQuerySet(models.QuerySet):
    def waiting_for_staff(self):
        return self.filter(handoff_at__isnull=False).order_by("handoff_at")


class Conversation(models.Model):
    """One row per (village, resident): where they are in a flow, what they have answered,
    whether a person has taken over, and a draft of an unfinished letter request."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="conversations")
    resident = models.OneToOneField(Resident, on_delete=models.CASCADE, related_name="conversation")
    flow = models.CharField(max_length=30, blank=True)
    step = models.CharField(max_length=40, blank=True)
    # Answers so far (a NIK among them): encrypted at rest like Resident.nik.
    data = EncryptedJSONField(default=dict, blank=True)
    history = models.JSONField(default=list, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    # Consecutive messages the assistant did not understand (the ladder: did you mean,
    # then the menu, then a person).
    misunderstood = models.PositiveSmallIntegerField(default=0)
    greeted_at = models.DateTimeField(null=True, blank=True)
    last_activity = models.DateTimeField(default=timezone.now)
    handoff_at = models.DateTimeField(null=True, blank=True)
    handoff_reason = models.CharField(max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    draft = EncryptedJSONField(null=True, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    flood_notice_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["village", "handoff_at"]),
            models.Index(fields=["flow", "last_activity"]),
            models.Index(fields=["village", "-last_activity"], name="conversation_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.flow or 'idle'}"

    @property
    def in_handoff(self) -> bool:
        return self.handoff_at is not None

    def handoff_expired(self, now: dt.datetime) -> bool:
        return self.handoff_at is not None and now - self.handoff_at > dt.timedelta(
            hours=self.village.handoff_hours
        )

    def idle_expired(self, now: dt.datetime) -> bool:
        return bool(self.flow) and now - self.last_activity > dt.timedelta(
            hours=self.village.session_idle_hours
        )

    def live_draft(self, now: dt.datetime) -> dict | None:
        fresh = self.draft_saved_at and now - self.draft_saved_at < dt.timedelta(hours=DRAFT_HOURS)
        if self.draft and fresh:
            return self.draft
        return None

    def reset(self) -> None:
        self.flow, self.step, self.data, self.history, self.failures = "", "", {}, [], 0


class ConversationNote(models.Model):
    """A note between staff about a conversation; the resident never sees it."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = models.TextField(max_length=2000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class QuickReply(models.Model):
    """A canned answer staff pick in the inbox, per village."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="quick_replies")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField("judul", max_length=60)
    text = models.TextField("isi", max_length=1500)
    position = models.PositiveSmallIntegerField("urutan", default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "balasan cepat"
        verbose_name_plural = "balasan cepat"

    def __str__(self) -> str:
        return self.title
