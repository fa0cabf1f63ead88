from django.urls import path

from balai.letters import templates_views as views

app_name = "letter_documents"
urlpatterns = [
    path("desa/<slug:village_slug>/surat/templat/", views.template_list, name="templates"),
    path(
        "desa/<slug:village_slug>/surat/templat/<slug:slug>/",
        views.template_edit,
        name="edit",
    ),
    path(
        "desa/<slug:village_slug>/surat/templat/<slug:slug>/pratinjau.pdf",
        views.template_preview,
        name="preview",
    ),
    path(
        "desa/<slug:village_slug>/surat/terbit/<str:code>.pdf",
        views.issued_pdf,
        name="issued_pdf",
    ),
]
