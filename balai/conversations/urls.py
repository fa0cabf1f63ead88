from django.urls import path

from balai.conversations import views

app_name = "inbox"
urlpatterns = [
    path("desa/<slug:village_slug>/kotak-masuk/", views.inbox, name="list"),
    path("desa/<slug:village_slug>/balasan-cepat/", views.quick_replies, name="quick_replies"),
    path("desa/<slug:village_slug>/kotak-masuk/<str:code>/", views.conversation, name="detail"),
    path(
        "desa/<slug:village_slug>/kotak-masuk/<str:code>/baru/",
        views.conversation_updates,
        name="updates",
    ),
    path(
        "desa/<slug:village_slug>/kotak-masuk/<str:code>/<slug:action>/",
        views.conversation_action,
        name="action",
    ),
]
