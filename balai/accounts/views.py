import time

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from balai.accounts import two_factor
from balai.accounts.forms import CodeForm, ConfirmCodeForm, LoginForm, PasswordCheckForm

# How long the code page waits after a right password.
PENDING_SECONDS = 5 * 60


@sensitive_post_parameters("password")
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "villages:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.is_enabled(form.user):
            # The password was right; the session holds who is half-way in until the code.
            request.session.cycle_key()
            request.session[two_factor.SESSION_PENDING] = {
                "user": form.user.pk,
                "next": next_url,
                "at": time.time(),
            }
            return redirect("accounts:login_code")
        login(request, form.user)
        if two_factor.is_required(form.user):
            request.session[two_factor.SESSION_SETUP] = True
            return redirect("accounts:two_factor_setup")
        return redirect(next_url or "villages:home")
    status = 429 if form.has_error("__all__", "locked") else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@never_cache
@sensitive_post_parameters("code")
def login_code(request):
    """The second step: the 6-digit code (or a recovery code) after the right password."""
    pending = request.session.get(two_factor.SESSION_PENDING) or {}
    user = None
    if time.time() - pending.get("at", 0) < PENDING_SECONDS:
        user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        request.session.pop(two_factor.SESSION_PENDING, None)
        messages.info(request, "Silakan masuk lagi dengan nama pengguna dan kata sandi.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            kind = two_factor.do_verify(user, form.cleaned_data["code"])
        except two_factor.TwoFactorError as e:
            form.add_error(None, str(e))
            status = 429
        else:
            if kind:
                del request.session[two_factor.SESSION_PENDING]
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                request.session[two_factor.SESSION_VERIFIED] = True
                if kind == "recovery":
                    left = two_factor.remaining_recovery_codes(user)
                    messages.warning(
                        request,
                        f"Anda masuk dengan kode pemulihan. Sisa kode: {left}. "
                        "Buat kode baru di halaman Akun bila hampir habis.",
                    )
                return redirect(pending.get("next") or "villages:home")
            form.add_error(None, "Kode salah atau sudah dipakai. Coba kode yang sedang tampil.")
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "Anda sudah keluar. Sampai jumpa.")
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters()
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Kata sandi sudah diganti.")
        return redirect("villages:home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def account(request):
    """Akun saya: the password and two-step login."""
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "enabled": two_factor.is_enabled(user),
            "required": two_factor.is_required(user),
            "recovery_left": two_factor.remaining_recovery_codes(user),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def two_factor_setup(request):
    """Turn two-step login on: scan the QR code, then confirm with the app's first code."""
    user = request.user
    if two_factor.is_enabled(user):
        messages.info(request, "Login dua langkah sudah aktif.")
        return redirect("accounts:account")
    form = ConfirmCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.do_confirm(user, form.cleaned_data["code"])
        except two_factor.TwoFactorError as e:
            form.add_error("code", str(e))
            status = 429 if two_factor.is_locked(user) else 200
        else:
            request.session[two_factor.SESSION_VERIFIED] = True
            request.session.pop(two_factor.SESSION_SETUP, None)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})
    device = getattr(user, "two_factor", None)
    if request.method == "GET" or device is None:
        device = two_factor.do_start(user)
    uri = two_factor.otpauth_uri(user, device.secret)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_data_uri(uri),
            "secret": " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4)),
            "required": two_factor.is_required(user),
        },
        status=status,
    )


@login_required
@require_POST
@sensitive_post_parameters("password")
def two_factor_recovery(request):
    """New recovery codes (the old ones stop working), after the password."""
    form = PasswordCheckForm(request.user, request.POST)
    if not form.is_valid():
        messages.error(request, "Kata sandi salah. Kode pemulihan tidak diganti.")
        return redirect("accounts:account")
    try:
        codes = two_factor.do_new_recovery_codes(request.user)
    except two_factor.TwoFactorError as e:
        messages.error(request, str(e))
        return redirect("accounts:account")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "new": False})


@login_required
@require_POST
@sensitive_post_parameters("password")
def two_factor_disable(request):
    """Switch two-step login off (not where it is required), after the password."""
    if two_factor.is_required(request.user):
        messages.error(request, "Login dua langkah wajib untuk akun Anda dan tidak bisa dimatikan.")
        return redirect("accounts:account")
    form = PasswordCheckForm(request.user, request.POST)
    if not form.is_valid():
        messages.error(request, "Kata sandi salah. Login dua langkah tetap aktif.")
        return redirect("accounts:account")
    two_factor.do_disable(request.user)
    request.session.pop(two_factor.SESSION_VERIFIED, None)
    messages.success(request, "Login dua langkah sudah dimatikan.")
    return redirect("accounts:account")
