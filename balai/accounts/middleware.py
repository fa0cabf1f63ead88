"""Where platform operators require two-step login, a staff member who has not set it up
is sent to set it up before any other page."""

from django.shortcuts import redirect
from django.urls import reverse

from balai.accounts import two_factor

# Pages a staff member may still open: setting it up, logging out, the account page.
ALLOWED = ("/akun/", "/keluar/", "/masuk/", "/static/", "/healthz")


class RequireTwoFactor:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(two_factor.SESSION_VERIFIED)
            and not request.path.startswith(ALLOWED)
            and two_factor.is_required(user)
        ):
            if two_factor.is_enabled(user):
                # Logged in some other way than the code page (an old session from before
                # the requirement): log in again, with the code this time.
                from django.contrib.auth import logout

                logout(request)
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            return redirect("accounts:two_factor_setup")
        return self.get_response(request)
