from django.contrib import admin

from balai.accounts.models import TwoFactor, TwoFactorRequirement


@admin.register(TwoFactorRequirement)
class TwoFactorRequirementAdmin(admin.ModelAdmin):
    """Require two-step login for a village's staff, or (no village) for everyone."""

    list_display = ["__str__", "created"]
    autocomplete_fields = ["village"]


@admin.register(TwoFactor)
class TwoFactorAdmin(admin.ModelAdmin):
    """Who has two-step login; deleting a row switches it off (a staff member who lost both
    the phone and the recovery codes). The secret is never shown."""

    list_display = ["user", "confirmed_at", "created"]
    fields = ["user", "confirmed_at", "created"]
    readonly_fields = fields
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False
