from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "balai.programmes"
    verbose_name = "Program pendampingan"

    def ready(self):
        from balai.conversations.stopping import stop_requested
        from balai.programmes import actions, consent, documentation, learning  # noqa: F401

        # `berhenti` withdraws consent from every programme of the resident.
        stop_requested.connect(consent.on_stop, dispatch_uid="programmes")
