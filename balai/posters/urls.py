from django.urls import path

from balai.posters import views

app_name = "posters"

# Poster keys: "utama" (the village's menu), "aduan" (complaints) or a letter type's slug.
urlpatterns = [
    path("desa/<slug:village_slug>/poster/", views.index, name="index"),
    path("desa/<slug:village_slug>/poster/tampilan/", views.style, name="style"),
    path("desa/<slug:village_slug>/poster/semua.zip", views.download_all, name="zip"),
    path("desa/<slug:village_slug>/poster/<slug:key>.pdf", views.pdf, name="pdf"),
    path("desa/<slug:village_slug>/poster/<slug:key>.png", views.png, name="png"),
]
