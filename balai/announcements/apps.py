from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "balai.announcements"
    verbose_name = "Kabar desa dan pengumuman"
