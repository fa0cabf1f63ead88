from django.contrib import admin

from balai.conversations.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["resident", "village", "flow", "step", "handoff_at", "last_activity"]
    list_filter = ["village", "flow"]
    # Answers can hold a NIK: not shown here.
    exclude = ["data", "history", "draft"]
    readonly_fields = ["resident", "village", "flow", "step", "last_activity"]
