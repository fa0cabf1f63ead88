"""Platform operators' view of the WhatsApp channel.

The access token never appears here (only whether one is stored); message and webhook
records are read-only, so the admin cannot rewrite what Meta sent or what Balai sent.
"""

from django.contrib import admin
from django.utils import timezone

from balai.whatsapp.models import (
    ChannelAlert,
    InboundMessage,
    OutboundMessage,
    StatusEvent,
    Template,
    WebhookProblem,
    WhatsAppNumber,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WhatsAppNumber)
class WhatsAppNumberAdmin(admin.ModelAdmin):
    list_display = [
        "village",
        "phone_number_id",
        "display_number",
        "verified_name",
        "is_simulated",
        "token_stored",
        "paused",
        "checked_at",
    ]
    list_filter = ["is_simulated", ("paused_at", admin.EmptyFieldListFilter)]
    list_select_related = ["village"]
    search_fields = ["phone_number_id", "display_number", "verified_name", "village__name"]
    exclude = ["access_token"]
    readonly_fields = ["token_stored", "checked_at", "paused_at", "created"]

    def save_model(self, request, obj, form, change):
        if obj.access_token is None:
            # EncryptedCharField reads an empty column back as None; the column is NOT NULL.
            obj.access_token = ""
        super().save_model(request, obj, form, change)

    @admin.display(boolean=True, description="token tersimpan")
    def token_stored(self, obj):
        return bool(obj.access_token)

    @admin.display(boolean=True, description="dihentikan")
    def paused(self, obj):
        return obj.is_paused


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "village", "type", "wa_id", "profile_name", "state", "attempts"]
    list_filter = ["state", "type", "village"]
    list_select_related = ["village"]
    search_fields = ["wamid", "wa_id", "user_id"]
    date_hierarchy = "received_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created",
        "village",
        "state",
        "kind",
        "to",
        "attempts",
        "last_error_code",
        "needs_attention",
    ]
    list_filter = ["state", "kind", "needs_attention", "last_error_code", "village"]
    list_select_related = ["village"]
    search_fields = ["code", "wamid", "to"]
    date_hierarchy = "created"


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "village", "category", "purpose", "status"]
    list_filter = ["status", "category", "village"]
    list_select_related = ["village"]
    search_fields = ["name", "purpose"]


@admin.register(ChannelAlert)
class ChannelAlertAdmin(admin.ModelAdmin):
    list_display = ["created", "village", "code", "message", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "code", "village"]
    list_select_related = ["village"]
    readonly_fields = ["village", "code", "message", "created"]
    actions = ["resolve"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Tandai selesai")
    def resolve(self, request, queryset):
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, f"{count} peringatan ditandai selesai.")


@admin.register(StatusEvent)
class StatusEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "wamid", "status", "timestamp", "applied"]
    list_filter = ["status", "applied"]
    search_fields = ["wamid"]


@admin.register(WebhookProblem)
class WebhookProblemAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "phone_number_id", "code", "detail", "village"]
    list_filter = ["kind", "code"]
    list_select_related = ["village"]
    search_fields = ["phone_number_id", "detail"]
    date_hierarchy = "received_at"
