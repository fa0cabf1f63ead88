from django.urls import path

from balai.residents import views, views_privacy, views_register

app_name = "residents"
urlpatterns = [
    path("desa/<slug:village_slug>/warga/", views.resident_list, name="list"),
    path("desa/<slug:village_slug>/warga/baru/", views.resident_edit, name="create"),
    path("desa/<slug:village_slug>/warga/<str:code>/", views.resident_detail, name="detail"),
    path("desa/<slug:village_slug>/warga/<str:code>/ubah/", views.resident_edit, name="edit"),
    path(
        "desa/<slug:village_slug>/warga/<str:code>/lihat-nik/", views.resident_reveal, name="reveal"
    ),
    # Register upkeep (views_register): prefixes outside warga/<code>/ so they never collide.
    path("desa/<slug:village_slug>/impor-warga/", views_register.resident_import, name="import"),
    path(
        "desa/<slug:village_slug>/impor-warga/simpan/",
        views_register.resident_import_confirm,
        name="import_confirm",
    ),
    path(
        "desa/<slug:village_slug>/impor-warga/templat.csv",
        views_register.resident_import_template,
        name="import_template",
    ),
    path(
        "desa/<slug:village_slug>/verifikasi-warga/",
        views_register.verify_queue,
        name="verify_queue",
    ),
    path(
        "desa/<slug:village_slug>/verifikasi-warga/<str:code>/periksa/",
        views_register.verify_resident,
        name="verify",
    ),
    path(
        "desa/<slug:village_slug>/verifikasi-warga/<str:code>/gabung/",
        views_register.merge_resident,
        name="merge",
    ),
    # UU PDP requests (views_privacy).
    path(
        "desa/<slug:village_slug>/permintaan-data/",
        views_privacy.data_requests,
        name="data_requests",
    ),
    path(
        "desa/<slug:village_slug>/permintaan-data/<str:code>/",
        views_privacy.data_request_detail,
        name="data_request",
    ),
    path(
        "desa/<slug:village_slug>/permintaan-data/<str:code>/proses/",
        views_privacy.data_request_process,
        name="data_request_process",
    ),
    path(
        "desa/<slug:village_slug>/permintaan-data/<str:code>/tolak/",
        views_privacy.data_request_refuse,
        name="data_request_refuse",
    ),
    path(
        "desa/<slug:village_slug>/warga/<str:code>/permintaan-data/",
        views_privacy.data_request_record,
        name="data_request_record",
    ),
    path("data-saya/unduh/<str:token>/", views_privacy.data_download, name="data_download"),
]
