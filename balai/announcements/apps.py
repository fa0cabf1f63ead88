from django.apps import AppConfig
from django.db.models.signals import post_save


def _seed_new_village(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from balai.announcements.topics import do_seed_topics

        do_seed_topics(instance)


class AnnouncementsConfig(AppConfig):
    name = "balai.announcements"
    verbose_name = "Kabar desa dan pengumuman"

    def ready(self):
        from balai.announcements import flows, sending
        from balai.conversations.stopping import stop_requested

        post_save.connect(
            _seed_new_village, sender="villages.Village", dispatch_uid="announcements"
        )
        # `berhenti` leaves every news topic and pulls back queued announcements.
        stop_requested.connect(sending.on_stop, dispatch_uid="announcements")
        flows.register()
