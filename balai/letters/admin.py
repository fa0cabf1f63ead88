from django.contrib import admin

from balai.letters.models import LetterRequest, LetterType, RequestEvent


@admin.register(LetterType)
class LetterTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "village", "keyword", "days", "head_of_family_only", "is_active"]
    list_filter = ["village", "is_active"]
    search_fields = ["name", "keyword"]


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    readonly_fields = ["state", "note", "actor", "created"]


@admin.register(LetterRequest)
class LetterRequestAdmin(admin.ModelAdmin):
    list_display = ["code", "village", "letter_type", "state", "submitted_at", "due_date"]
    list_filter = ["village", "state", "letter_type__slug"]
    search_fields = ["code"]
    # The answers and the people are shown, never edited here: changes go through the
    # workflow so the resident is told and the history stays whole.
    readonly_fields = ["code", "resident", "contact", "identity", "answers", "submitted_at"]
    inlines = [EventInline]
