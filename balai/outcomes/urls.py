from django.urls import path

from balai.outcomes import views

app_name = "outcomes"

V = "desa/<slug:village_slug>/hasil/"
P = V + "program/<str:code>/"
I = V + "indikator/<str:code>/"  # noqa: E741

urlpatterns = [
    path(V, views.dashboard, name="village"),
    path(V + "indikator/baru/", views.indicator_add, name="indicator_add"),
    path(V + "indikator-siap-pakai/", views.add_standard, name="standard"),
    path(V + "hasil.xlsx", views.export_xlsx, name="xlsx"),
    path(V + "tabel/<str:table>.csv", views.export_csv, name="csv"),
    path(V + "api/", views.tokens, name="tokens"),
    path(V + "api/<str:code>/cabut/", views.token_revoke, name="token_revoke"),
    path(P, views.dashboard, name="programme"),
    path(P + "indikator/baru/", views.indicator_add, name="programme_indicator_add"),
    path(P + "indikator-siap-pakai/", views.add_standard, name="programme_standard"),
    path(P + "hasil.xlsx", views.export_xlsx, name="programme_xlsx"),
    path(P + "tabel/<str:table>.csv", views.export_csv, name="programme_csv"),
    path(I, views.indicator_detail, name="indicator"),
    path(I + "ubah/", views.indicator_edit, name="indicator_edit"),
    path(I + "hapus/", views.indicator_delete, name="indicator_delete"),
    path(I + "target/", views.target_save, name="target"),
    path(I + "nilai/", views.value_save, name="value"),
    path("kabupaten/hasil/", views.regency, name="regency"),
]
