from django.urls import path

from balai.letters import views

app_name = "letters"
urlpatterns = [
    path(
        "desa/<slug:village_slug>/layanan/surat/<slug:slug>/",
        views.letter_type,
        name="letter_type",
    ),
]
