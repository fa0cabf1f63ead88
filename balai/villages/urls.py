from django.urls import path

from balai.villages import views

app_name = "villages"
urlpatterns = [
    path("", views.home, name="home"),
    path("desa/<slug:village_slug>/", views.dashboard, name="dashboard"),
    path("desa/<slug:village_slug>/pengaturan/", views.settings_view, name="settings"),
    path("desa/<slug:village_slug>/petugas/", views.staff_list, name="staff"),
    path(
        "desa/<slug:village_slug>/petugas/<str:code>/nonaktifkan/",
        views.staff_deactivate,
        name="staff_deactivate",
    ),
    path("desa/<slug:village_slug>/wilayah/", views.areas, name="areas"),
]
