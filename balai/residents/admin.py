from django.contrib import admin

from balai.residents.models import Resident


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    # NIK/KK stay out of the admin lists and forms: masked values only.
    list_display = ["name", "village", "phone_masked", "nik_masked", "area"]
    list_filter = ["village"]
    search_fields = ["name"]
    exclude = ["nik", "kk"]
    readonly_fields = ["nik_masked", "kk_masked"]
