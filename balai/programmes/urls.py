from django.urls import path

from balai.programmes import urls_learning, urls_reports, views, views_followup

app_name = "programmes"

P = "desa/<slug:village_slug>/program/"
C = P + "<str:code>/"

urlpatterns = [
    path(P, views.programme_list, name="list"),
    path(P + "baru/", views.programme_edit, name="add"),
    path(C, views.programme_detail, name="detail"),
    path(C + "ubah/", views.programme_edit, name="edit"),
    path(C + "peserta/", views.participants, name="participants"),
    path(C + "peserta/tambah/", views.participant_add, name="participant_add"),
    path(C + "peserta/impor/", views.participant_import, name="participant_import"),
    path(C + "peserta/contoh.csv", views.participant_template, name="participant_template"),
    path(C + "peserta/minta-persetujuan/", views.consent_request, name="consent_request"),
    path(C + "grup/", views.group, name="group"),
    path(C + "pengumuman/", views.announce, name="announce"),
    path(C + "kegiatan/", views.activities, name="activities"),
    path(C + "kegiatan/tambah/", views.activity_edit, name="activity_add"),
    path(C + "kegiatan/<str:activity>/", views.activity_detail, name="activity"),
    path(C + "kegiatan/<str:activity>/ubah/", views.activity_edit, name="activity_edit"),
    path(C + "kegiatan/<str:activity>/hadir/", views.attendance, name="attendance"),
    path(C + "tindak-lanjut/", views_followup.followup_page, name="followup"),
    # Calendar apps fetch without a login: the signed token in the path is the key.
    path("program/kalender/<str:token>.ics", views.calendar_feed, name="ics"),
]
urlpatterns += urls_reports.urlpatterns
urlpatterns += urls_learning.urlpatterns
