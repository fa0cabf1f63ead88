from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "balai.programmes"
    verbose_name = "Program pendampingan"

    def ready(self):
        from balai.conversations.stopping import stop_requested
        from balai.programmes import (  # noqa: F401
            actions,
            consent,
            documentation,
            followup,
            learning,
        )

        # `berhenti` withdraws consent from every programme of the resident, and stops
        # the monthly follow-up check-ins still open.
        stop_requested.connect(consent.on_stop, dispatch_uid="programmes")
        stop_requested.connect(followup.on_stop, dispatch_uid="programmes.followup")
