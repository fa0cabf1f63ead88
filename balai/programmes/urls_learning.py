"""Materials and quizzes: the lead's ``urls.py`` adds these (app_name "programmes")."""

from django.urls import path

from balai.programmes import views_learning as views

C = "desa/<slug:village_slug>/program/<str:code>/"
M = C + "materi/"
K = C + "kuis/"

urlpatterns = [
    path(M, views.lessons, name="lessons"),
    path(M + "tambah/", views.lesson_add, name="lesson_add"),
    path(M + "<str:lesson>/", views.lesson_detail, name="lesson"),
    path(M + "<str:lesson>/kirim/", views.lesson_send, name="lesson_send"),
    path(M + "<str:lesson>/hapus/", views.lesson_delete, name="lesson_delete"),
    path(K, views.quizzes, name="quizzes"),
    path(K + "tambah/", views.quiz_add, name="quiz_add"),
    path(K + "pre-post/", views.quiz_compare, name="quiz_compare"),
    path(K + "<str:quiz>/", views.quiz_detail, name="quiz"),
    path(K + "<str:quiz>/hapus/", views.quiz_delete, name="quiz_delete"),
    path(K + "<str:quiz>/buka/", views.quiz_open, name="quiz_open"),
    path(K + "<str:quiz>/tutup/", views.quiz_close, name="quiz_close"),
    path(K + "<str:quiz>/kirim/", views.quiz_send, name="quiz_send"),
    path(K + "<str:quiz>/hasil/", views.quiz_results, name="quiz_results"),
    path(K + "<str:quiz>/soal/tambah/", views.question_add, name="question_add"),
    path(K + "<str:quiz>/soal/<int:number>/", views.question_edit, name="question_edit"),
    path(K + "<str:quiz>/soal/<int:number>/hapus/", views.question_delete, name="question_delete"),
    # Meta fetches lesson files from here: the signed token in the path is the key.
    path("program/materi/<str:token>/", views.lesson_file, name="lesson_file"),
]
