from django.contrib import admin

from balai.villages.models import Area, AuditEvent, Faq, Holiday, Membership, Village


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "kecamatan", "kabupaten", "provinsi", "timezone"]
    search_fields = ["name", "official_code", "kabupaten"]
    inlines = [HolidayInline]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "village"]
    list_filter = ["village", "kind"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "village", "role", "title", "is_active"]
    list_filter = ["village", "role", "is_active"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created", "village", "actor", "action", "object_type", "object_code"]
    list_filter = ["village", "action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin):
    list_display = ["question", "village", "position", "is_active"]
    list_filter = ["village", "is_active"]
