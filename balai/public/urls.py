from django.urls import path

from balai.public import views, views_transparency

app_name = "public"

# Public pages live under /d/<slug>/ (no login). The kwarg is `slug`, not the console's
# `village_slug`, so the tenancy tests (which enumerate `village_slug` URLs) leave them out.
urlpatterns = [
    path("d/<slug:slug>/", views.home, name="home"),
    path("d/<slug:slug>/layanan/", views.services, name="services"),
    path("d/<slug:slug>/layanan/<str:keyword>/", views.service, name="service"),
    path("d/<slug:slug>/status/", views.status, name="status"),
    path("d/<slug:slug>/aduan/", views.complaints, name="complaints"),
    path("d/<slug:slug>/aduan/foto/<str:token>/", views.complaint_photo, name="complaint_photo"),
    path("d/<slug:slug>/wa/", views.wa, name="wa"),
    path("d/<slug:slug>/wa/<str:keyword>/", views.wa, name="wa_keyword"),
    path(
        "d/<slug:slug>/transparansi/",
        views_transparency.board,
        name="transparency",
    ),
    path(
        "d/<slug:slug>/transparansi.csv",
        views_transparency.export_csv,
        name="transparency_csv",
    ),
    path(
        "d/<slug:slug>/transparansi.json",
        views_transparency.export_json,
        name="transparency_json",
    ),
    path(
        "d/<slug:slug>/transparansi/grafik/<str:name>.svg",
        views_transparency.chart,
        name="transparency_chart",
    ),
]
