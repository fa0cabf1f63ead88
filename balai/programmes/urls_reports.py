"""Documentation, logbook, comments and report downloads of a programme (appended to
``balai.programmes.urls``, namespace ``programmes``)."""

from django.urls import path

from balai.programmes import views_reports as views

C = "desa/<slug:village_slug>/program/<str:code>/"

urlpatterns = [
    path(C + "dokumentasi/", views.docs, name="docs"),
    path(C + "dokumentasi/<str:photo>/foto", views.photo_file, name="docs_photo"),
    path(C + "dokumentasi/<str:photo>/kecil.jpg", views.photo_thumb, name="docs_thumb"),
    path(C + "dokumentasi/<str:photo>/hapus/", views.photo_delete, name="docs_delete"),
    path(C + "logbook/", views.logbook, name="logbook"),
    path(C + "logbook/<int:entry>/ubah/", views.logbook_edit, name="logbook_edit"),
    path(C + "komentar/", views.comments, name="comments"),
    path(C + "laporan/", views.report_index, name="report"),
    path(C + "laporan.pdf", views.report_pdf, name="report_pdf"),
    path(C + "laporan.docx", views.report_docx, name="report_docx"),
    path(C + "persetujuan.pdf", views.consent_pdf, name="consent_pdf"),
]
