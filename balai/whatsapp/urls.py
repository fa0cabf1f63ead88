from django.urls import path

from balai.whatsapp import views, webhook

app_name = "whatsapp"
urlpatterns = [
    path("whatsapp/webhook", webhook.webhook, name="webhook"),
    path("desa/<slug:village_slug>/whatsapp/", views.channel, name="channel"),
    path("desa/<slug:village_slug>/whatsapp/periksa/", views.channel_check, name="check"),
    path("desa/<slug:village_slug>/whatsapp/aktifkan/", views.channel_resume, name="resume"),
    path("desa/<slug:village_slug>/berkas/<str:code>/", views.media_file, name="media"),
]
