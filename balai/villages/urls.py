from django.urls import path

from balai.villages import faq, views

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
    path("desa/<slug:village_slug>/log-audit/", views.audit_log, name="audit"),
    path("desa/<slug:village_slug>/notifikasi/", views.my_notifications, name="notifications"),
]

# "Layanan WhatsApp": the overview and the FAQ (letter types and complaint categories have
# their pages in balai.letters and balai.complaints).
urlpatterns += [
    path("desa/<slug:village_slug>/layanan/", faq.services, name="services"),
    path("desa/<slug:village_slug>/layanan/tanya-jawab/baru/", faq.faq_create, name="faq_create"),
    path("desa/<slug:village_slug>/layanan/tanya-jawab/<str:code>/", faq.faq_edit, name="faq_edit"),
    path(
        "desa/<slug:village_slug>/layanan/tanya-jawab/<str:code>/tampil/",
        faq.faq_toggle,
        name="faq_toggle",
    ),
    path(
        "desa/<slug:village_slug>/layanan/tanya-jawab/<str:code>/urutan/",
        faq.faq_move,
        name="faq_move",
    ),
    path(
        "desa/<slug:village_slug>/layanan/tanya-jawab/<str:code>/hapus/",
        faq.faq_delete,
        name="faq_delete",
    ),
]
