from django.urls import path

from balai.announcements import views_public as views

app_name = "news"
# Public pages under /d/<slug>/ use the kwarg `slug` (not the console's `village_slug`).
urlpatterns = [
    path("d/<slug:slug>/kabar/", views.news_list, name="list"),
    path("d/<slug:slug>/kabar/<str:code>/", views.post, name="post"),
    path("d/<slug:slug>/kabar/<str:code>/gambar.jpg", views.image, name="image"),
    path("d/<slug:slug>/kabar/<str:code>/kartu.png", views.card, name="card"),
    path("d/<slug:slug>/kabar/<str:code>/lampiran.pdf", views.attachment, name="attachment"),
]
