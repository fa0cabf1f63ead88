from django.urls import path

from balai.complaints import views

app_name = "complaints"
urlpatterns = [
    path(
        "desa/<slug:village_slug>/layanan/kategori/baru/",
        views.category_create,
        name="category_create",
    ),
    path(
        "desa/<slug:village_slug>/layanan/kategori/<slug:slug>/",
        views.category_edit,
        name="category_edit",
    ),
    path(
        "desa/<slug:village_slug>/layanan/kategori/<slug:slug>/aktif/",
        views.category_toggle,
        name="category_toggle",
    ),
    path(
        "desa/<slug:village_slug>/layanan/kategori/<slug:slug>/urutan/",
        views.category_move,
        name="category_move",
    ),
]
