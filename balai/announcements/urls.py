from django.urls import path

from balai.announcements import views

app_name = "announcements"
P = "desa/<slug:village_slug>/pengumuman/"
urlpatterns = [
    path(P, views.announcement_list, name="list"),
    path(P + "baru/", views.announcement_create, name="create"),
    path(P + "topik/", views.topics, name="topics"),
    path(P + "topik/<slug:slug>/", views.topic_edit, name="topic_edit"),
    path(P + "pengaturan/", views.news_settings, name="settings"),
    path(P + "pelanggan/", views.subscribers, name="subscribers"),
    path(P + "<str:code>/", views.announcement_detail, name="detail"),
    path(P + "<str:code>/ubah/", views.announcement_edit, name="edit"),
    path(P + "<str:code>/persetujuan/", views.announcement_review, name="review"),
    path(P + "<str:code>/progres.json", views.announcement_progress, name="progress"),
    path(P + "<str:code>/laporan.csv", views.announcement_report, name="report"),
    path(P + "<str:code>/berkas/<slug:kind>/", views.announcement_file, name="file"),
    path(P + "<str:code>/aksi/<slug:action>/", views.announcement_action, name="action"),
]
