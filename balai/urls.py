from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from balai.core import views as core_views

admin.site.site_header = "Balai — administrasi platform"
admin.site.site_title = "Balai"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("healthz/ready", core_views.healthz_ready, name="healthz_ready"),
    path("metrics", core_views.metrics, name="metrics"),
    path("", include("balai.accounts.urls")),
    path("", include("balai.villages.urls")),
    path("", include("balai.residents.urls")),
    path("", include("balai.letters.urls")),
    path("", include("balai.letters.urls_documents")),
    path("", include("balai.letters.urls_requests")),
    path("", include("balai.conversations.urls")),
    path("", include("balai.complaints.urls")),
    path("", include("balai.complaints.urls_desk")),
    path("", include("balai.whatsapp.urls")),
    path("", include("balai.public.urls")),
    path("", include("balai.posters.urls")),
    path("", include("balai.announcements.urls")),
    path("", include("balai.programmes.urls")),
    path("", include("balai.market.urls")),
    path("", include("balai.market.urls_public")),
    path("", include("balai.announcements.urls_public")),
    path("", include("balai.outcomes.urls")),
    path("", include("balai.outcomes.urls_api")),
    path(settings.ADMIN_URL, admin.site.urls),
]
if settings.SIMULATOR_ENABLED:
    urlpatterns.append(path("simulator/", include("balai.simulator.urls")))
