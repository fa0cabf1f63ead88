from django.contrib import admin

from balai.complaints.models import Category, Complaint, ComplaintEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "village", "position", "is_active"]
    list_filter = ["village", "is_active"]


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    readonly_fields = ["state", "note", "actor", "created"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["code", "village", "kind", "category", "state", "submitted_at"]
    list_filter = ["village", "kind", "state"]
    search_fields = ["code"]
    readonly_fields = ["code", "resident", "description", "photo", "submitted_at"]
    inlines = [EventInline]
