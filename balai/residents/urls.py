from django.urls import path

from balai.residents import views

app_name = "residents"
urlpatterns = [
    path("desa/<slug:village_slug>/warga/", views.resident_list, name="list"),
    path("desa/<slug:village_slug>/warga/baru/", views.resident_edit, name="create"),
    path("desa/<slug:village_slug>/warga/<str:code>/", views.resident_detail, name="detail"),
    path("desa/<slug:village_slug>/warga/<str:code>/ubah/", views.resident_edit, name="edit"),
    path(
        "desa/<slug:village_slug>/warga/<str:code>/lihat-nik/", views.resident_reveal, name="reveal"
    ),
]
