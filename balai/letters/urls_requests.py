from django.urls import path

from balai.letters import views_public
from balai.letters import views_requests as views

app_name = "letter_requests"
urlpatterns = [
    path("desa/<slug:village_slug>/permohonan/", views.request_list, name="list"),
    path("desa/<slug:village_slug>/permohonan/<str:code>/", views.request_detail, name="detail"),
    path(
        "desa/<slug:village_slug>/permohonan/<str:code>/penanggung-jawab/",
        views.request_assign,
        name="assign",
    ),
    path(
        "desa/<slug:village_slug>/permohonan/<str:code>/<slug:action>/",
        views.request_action,
        name="action",
    ),
    path("surat/unduh/<str:token>/", views.download, name="download"),
    path("v/<str:token>", views_public.verify, name="verify"),
]
