from django.urls import path

from balai.complaints import views_desk as views

app_name = "complaint_desk"
urlpatterns = [
    path("desa/<slug:village_slug>/pengaduan/", views.desk_list, name="list"),
    path("desa/<slug:village_slug>/pengaduan/<str:code>/", views.desk_detail, name="detail"),
    path(
        "desa/<slug:village_slug>/pengaduan/<str:code>/<slug:action>/",
        views.desk_action,
        name="action",
    ),
]
