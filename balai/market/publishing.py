"""Publishing a post to a connected Facebook Page or Instagram professional account.

Facebook Page: one call, ``POST /<PAGE_ID>/photos`` with ``url`` (Meta fetches the image) and
``caption``; the answer is ``{"id": <photo id>, "post_id": <page post id>}``
(developers.facebook.com/docs/graph-api/reference/page/photos).

Instagram (developers.facebook.com/docs/instagram-platform/content-publishing):
``POST /<IG_ID>/media`` with ``image_url`` and ``caption`` makes a container →
``GET /<CONTAINER_ID>?fields=status_code`` until ``FINISHED`` (``IN_PROGRESS`` before;
``ERROR`` and ``EXPIRED`` are final) → ``POST /<IG_ID>/media_publish`` with ``creation_id``.
Waiting for ``FINISHED`` is not a loop with sleeps: ``publish_publication`` is a background
job that raises ``NotReady`` and comes back with the job's backoff (5 s, 20 s, 80 s, …).

Instagram allows 50 posts published through the API per account in a moving 24 hours
(IG User ``content_publishing_limit``: ``quota_total`` 50, ``quota_duration`` 86400). Balai
checks twice: ``do_publish`` counts Balai's own publications to the account in the last
24 hours and refuses politely before anything is queued (no API call, so the console can
say so at once); and the job reads ``GET /<IG_ID>/content_publishing_limit`` right before
``media_publish``, because other apps publishing to the same account use the same quota.

Errors are Meta's (developers.facebook.com/docs/graph-api/guides/error-handling and the
Instagram error codes page): 190 token expired or revoked, 10 and 200–299 permission, 4/17/
32/341/613 rate limits (retried), 1/2 and HTTP 5xx temporary (retried), 368 policy block,
506 duplicate post, 9 with subcode 2207042 the daily publishing limit. ``plain_error``
turns each into a sentence a village facilitator can act on.

All HTTP goes through ``balai.lib.http`` (the one seam; tests route it to the fake Graph
API in ``balai.simulator.graph``). Tokens travel in the ``Authorization`` header, never in
URLs, so they stay out of access logs.
"""

import datetime as dt
import logging

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from balai.core.jobs import enqueue_on_commit, job
from balai.lib import http
from balai.market.content import image_url
from balai.market.models import Post, Publication, SocialAccount

logger = logging.getLogger(__name__)

GRAPH_BASE = "https://graph.facebook.com/v25.0"
IG_DAILY_LIMIT = 50
IG_WINDOW = dt.timedelta(hours=24)
# Runs of the publishing job for one publication (the first and the retries). With the
# job's backoff (5 s × 4ⁿ⁻¹, capped at an hour) the last run is about 1 h 30 min after the
# first: enough for Meta's temporary errors and for a container to finish processing.
PUBLISH_ATTEMPTS = 7
HTTP_TIMEOUT = 30

State = Publication.State
Kind = SocialAccount.Kind

# Meta's codes, sorted by what to do (see the module docstring).
TOKEN_CODES = {102, 190, 463, 467}
PERMISSION_CODES = {3, 10, *range(200, 300)}
RATE_CODES = {4, 17, 32, 341, 613, 80001}
TEMPORARY_CODES = {1, 2, -1, -2}
TRANSPORT = -100  # our own: timeout or no connection
IG_LIMIT_SUBCODE = 2207042


class GraphError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        http_status: int | None = None,
        user_message: str = "",
        transient: bool = False,
    ):
        self.code, self.subcode, self.message = code, subcode, message
        self.http_status, self.user_message, self.transient = http_status, user_message, transient
        super().__init__(f"({code}{f'/{subcode}' if subcode else ''}) {message}")

    @property
    def retryable(self) -> bool:
        if self.code in TOKEN_CODES or self.code in PERMISSION_CODES:
            return False
        if self.subcode == IG_LIMIT_SUBCODE:
            return False
        if self.code in RATE_CODES or self.code in TEMPORARY_CODES or self.code == TRANSPORT:
            return True
        return self.transient or (self.http_status or 0) >= 500


class NotReady(Exception):
    """The Instagram container is still being processed; the job comes back later."""


class PublishRefused(Exception):
    """Publishing cannot start (not connected, the daily limit reached); the message is for
    the console, in plain Indonesian."""


# --- The client -------------------------------------------------------------------------------


def base_url(account: SocialAccount) -> str:
    return (account.api_base_url or GRAPH_BASE).rstrip("/")


def _raise_for(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code == 200 and isinstance(data, dict) and "error" not in data:
        return data
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        raise GraphError(
            response.status_code, f"HTTP {response.status_code}", http_status=response.status_code
        )

    def number(value, default=None):
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    raise GraphError(
        number(error.get("code"), response.status_code),
        str(error.get("message", ""))[:500],
        subcode=number(error.get("error_subcode")),
        http_status=response.status_code,
        user_message=str(error.get("error_user_msg", ""))[:500],
        transient=bool(error.get("is_transient")),
    )


def call(base: str, token: str, method: str, path: str, *, data=None, params=None) -> dict:
    url = f"{base.rstrip('/')}/{path.lstrip('/')}"
    try:
        response = http.request(
            method,
            url,
            headers={"Authorization": f"Bearer {token}"},
            data=data,
            params=params,
            timeout=HTTP_TIMEOUT,
        )
    except httpx.TimeoutException as e:
        raise GraphError(TRANSPORT, f"timeout: {e}") from e
    except httpx.HTTPError as e:
        raise GraphError(TRANSPORT, f"connection failed: {e}") from e
    return _raise_for(response)


def account_call(account: SocialAccount, method: str, path: str, **kwargs) -> dict:
    return call(base_url(account), account.access_token, method, path, **kwargs)


def verify_account(kind: str, account_id: str, token: str, base: str = "") -> str:
    """Check the token reaches the account; return the account's name (Page name or
    Instagram username). Raises ``GraphError``."""
    fields = "name" if kind == Kind.FACEBOOK else "username,name"
    data = call(base or GRAPH_BASE, token, "GET", account_id, params={"fields": fields})
    if kind == Kind.INSTAGRAM:
        return str(data.get("username") or data.get("name") or account_id)[:150]
    return str(data.get("name") or account_id)[:150]


def instagram_quota(account: SocialAccount) -> tuple[int, int]:
    """(used, total) of the account's API publishing quota in the moving 24 hours."""
    data = account_call(
        account,
        "GET",
        f"{account.account_id}/content_publishing_limit",
        params={"fields": "quota_usage,config"},
    )
    rows = data.get("data") or [{}]
    row = rows[0] if isinstance(rows[0], dict) else {}
    config = row.get("config") if isinstance(row.get("config"), dict) else {}
    return int(row.get("quota_usage") or 0), int(config.get("quota_total") or IG_DAILY_LIMIT)


# --- Plain words for Meta's errors ------------------------------------------------------------

RETRY_NOTE = " Balai mencoba lagi otomatis."

IG_SUBCODES = {
    2207003: "Instagram terlalu lama mengunduh gambar.",
    2207004: "Gambar terlalu besar untuk Instagram (maksimal 8 MB).",
    2207005: "Format gambar tidak didukung Instagram (harus JPEG).",
    2207008: "Wadah unggahan Instagram tidak ditemukan atau sudah kedaluwarsa.",
    2207009: "Perbandingan lebar dan tinggi gambar tidak diterima Instagram (harus antara "
    "4:5 dan 1,91:1).",
    2207020: "Wadah unggahan Instagram sudah kedaluwarsa (lebih dari 24 jam).",
    2207026: "Format gambar tidak didukung Instagram.",
    2207052: "Instagram tidak bisa mengambil gambar dari alamat Balai. Pastikan server Balai "
    "bisa dibuka dari internet.",
    IG_LIMIT_SUBCODE: "Akun Instagram ini sudah mencapai batas 50 unggahan lewat aplikasi dalam "
    "24 jam. Coba lagi besok.",
}


def plain_error(error: GraphError) -> str:
    """One Indonesian sentence for the console, with Meta's code for whoever helps."""
    code = error.code
    if error.subcode in IG_SUBCODES:
        text = IG_SUBCODES[error.subcode]
    elif code in TOKEN_CODES:
        text = (
            "Izin akses ke akun ini sudah kedaluwarsa atau dicabut. Sambungkan ulang akun "
            "dengan token yang baru."
        )
    elif code in PERMISSION_CODES:
        text = (
            "Balai tidak punya izin mengunggah ke akun ini. Buat token dengan izin "
            "pages_manage_posts (Facebook) atau instagram_content_publish (Instagram), lalu "
            "sambungkan ulang."
        )
    elif code in RATE_CODES:
        text = "Meta sedang membatasi jumlah permintaan dari akun ini."
    elif code == 368:
        text = "Meta sementara memblokir unggahan dari akun ini karena dianggap melanggar aturan."
    elif code == 506:
        text = "Postingan yang sama persis sudah pernah diunggah ke akun ini."
    elif code == 324 or (code == 100 and "url" in error.message.lower()):
        text = "Meta tidak bisa mengambil gambar dari alamat Balai."
    elif code == 100:
        text = "Meta menolak permintaan ini (ID akun salah atau data tidak lengkap)."
    elif code == TRANSPORT:
        text = "Server Meta tidak bisa dihubungi."
    elif code in TEMPORARY_CODES or (error.http_status or 0) >= 500:
        text = "Server Meta sedang bermasalah."
    else:
        text = "Meta menolak unggahan ini."
    where = f"kode {code}" + (f"/{error.subcode}" if error.subcode else "")
    return f"{text} ({where})"


# --- Publishing -------------------------------------------------------------------------------


def is_connected(account: SocialAccount) -> bool:
    return bool(account.access_token)


def instagram_used_by_balai(account: SocialAccount, now=None) -> int:
    """Balai's own publications to this Instagram account in the last 24 hours, counting
    those still on their way (they will use the quota when they land)."""
    since = (now or timezone.now()) - IG_WINDOW
    return (
        Publication.objects.filter(account=account)
        .filter(
            Q(state=State.PUBLISHED, published_at__gte=since)
            | Q(state__in=[State.QUEUED, State.PROCESSING], created__gte=since)
        )
        .count()
    )


def do_publish(post: Post, account: SocialAccount) -> Publication:
    """Queue one post for one account; the job publishes it. Raises ``PublishRefused``."""
    if account.village_id != post.product.village_id:
        raise PublishRefused("Akun ini milik desa lain.")
    if account.seller_id and account.seller_id != post.product.seller_id:
        raise PublishRefused("Akun ini milik penjual lain.")
    if not is_connected(account):
        raise PublishRefused("Akun ini sudah diputuskan. Sambungkan lagi dulu.")
    with transaction.atomic():
        # One publication at a time may take the account's last places in the quota.
        SocialAccount.objects.select_for_update().filter(pk=account.pk).first()
        if account.kind == Kind.INSTAGRAM:
            used = instagram_used_by_balai(account)
            if used >= IG_DAILY_LIMIT:
                raise PublishRefused(
                    f"Instagram membatasi {IG_DAILY_LIMIT} unggahan lewat aplikasi per 24 jam, "
                    f"dan akun ini sudah memakai semuanya. Coba lagi besok, atau unggah "
                    f"sendiri dari aplikasi Instagram dengan gambar yang sudah diunduh."
                )
        publication = Publication.objects.create(post=post, account=account)
        enqueue_on_commit(publish_publication, publication.pk)
    return publication


def _fail(publication: Publication, text: str) -> str:
    Publication.objects.filter(pk=publication.pk).update(state=State.FAILED, error=text[:2000])
    logger.info("publication %s failed: %s", publication.pk, text)
    return "failed"


def _published(publication: Publication, remote_id: str) -> str:
    Publication.objects.filter(pk=publication.pk).update(
        state=State.PUBLISHED, remote_id=str(remote_id)[:60], error="", published_at=timezone.now()
    )
    return "published"


def _publish_facebook(publication: Publication) -> str:
    # Claim the row (queued → processing) so that two runs never post twice.
    claimed = Publication.objects.filter(pk=publication.pk, state=State.QUEUED).update(
        state=State.PROCESSING
    )
    if not claimed:
        return "already taken"
    account, post = publication.account, publication.post
    try:
        data = account_call(
            account,
            "POST",
            f"{account.account_id}/photos",
            data={"url": image_url(post), "caption": post.caption},
        )
    except GraphError:
        Publication.objects.filter(pk=publication.pk).update(state=State.QUEUED)
        raise
    return _published(publication, data.get("post_id") or data.get("id") or "")


def _publish_instagram(publication: Publication) -> str:
    account, post = publication.account, publication.post
    if not publication.container_id:
        data = account_call(
            account,
            "POST",
            f"{account.account_id}/media",
            data={"image_url": image_url(post), "caption": post.caption},
        )
        container = str(data.get("id") or "")
        if not container:
            raise GraphError(TRANSPORT, "container answer without an id")
        Publication.objects.filter(pk=publication.pk).update(
            container_id=container[:60], state=State.PROCESSING
        )
        publication.container_id = container
    status = account_call(
        account, "GET", publication.container_id, params={"fields": "status_code,status"}
    )
    code = status.get("status_code")
    if code == "IN_PROGRESS":
        raise NotReady(publication.container_id)
    if code == "PUBLISHED":
        return _published(publication, publication.remote_id)
    if code == "EXPIRED":
        return _fail(publication, IG_SUBCODES[2207020] + " Terbitkan ulang dari halaman produk.")
    if code != "FINISHED":
        detail = str(status.get("status") or "")
        subcode = next((int(p) for p in detail.replace(":", " ").split() if p.isdigit()), None)
        text = IG_SUBCODES.get(subcode, "Instagram gagal memproses gambar ini.")
        return _fail(publication, f"{text} (status {code}{': ' + detail if detail else ''})")
    used, total = instagram_quota(account)
    if used >= total:
        return _fail(publication, IG_SUBCODES[IG_LIMIT_SUBCODE])
    data = account_call(
        account,
        "POST",
        f"{account.account_id}/media_publish",
        data={"creation_id": publication.container_id},
    )
    return _published(publication, data.get("id") or "")


@job(max_attempts=PUBLISH_ATTEMPTS)
def publish_publication(publication_id: int) -> str:
    """Publish (or carry on publishing) one publication. Temporary errors and a container
    still in progress raise, so the job comes back with backoff; anything final is written
    on the row in plain words."""
    publication = (
        Publication.objects.select_related("account", "post__product")
        .filter(pk=publication_id)
        .first()
    )
    if publication is None or publication.state in {State.PUBLISHED, State.FAILED}:
        return "nothing to do"
    if not is_connected(publication.account):
        return _fail(publication, "Akun sudah diputuskan sebelum postingan terbit.")
    Publication.objects.filter(pk=publication.pk).update(attempts=F("attempts") + 1)
    attempt = publication.attempts + 1
    last = attempt >= PUBLISH_ATTEMPTS
    try:
        if publication.account.kind == Kind.FACEBOOK:
            return _publish_facebook(publication)
        return _publish_instagram(publication)
    except NotReady:
        if last:
            return _fail(
                publication,
                "Instagram belum selesai memproses gambar setelah satu setengah jam. Coba "
                "terbitkan ulang.",
            )
        Publication.objects.filter(pk=publication.pk).update(error="")
        raise
    except GraphError as error:
        text = plain_error(error)
        logger.warning("publication %s: %s", publication.pk, error)
        if error.retryable and not last:
            Publication.objects.filter(pk=publication.pk).update(error=text + RETRY_NOTE)
            raise
        if error.retryable:
            text += f" Sudah dicoba {attempt} kali."
        return _fail(publication, text)


# --- Connecting accounts ----------------------------------------------------------------------


def simulator_base() -> str:
    """The fake Graph API's address (demo and tests)."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("simulator:graph:root", args=["v25.0"])


def do_connect(
    village,
    *,
    kind: str,
    account_id: str,
    token: str,
    seller=None,
    simulated: bool = False,
) -> SocialAccount:
    """Check the token against the account and store it (encrypted). Connecting an account
    already known (same village, owner, kind and ID) replaces its token, so its history
    stays. Raises ``GraphError``."""
    base = simulator_base() if simulated else ""
    name = verify_account(kind, account_id, token, base)
    with transaction.atomic():
        account = (
            SocialAccount.objects.select_for_update()
            .filter(village=village, seller=seller, kind=kind, account_id=account_id)
            .first()
        )
        if account is None:
            account = SocialAccount(
                village=village, seller=seller, kind=kind, account_id=account_id
            )
        account.name, account.access_token, account.api_base_url = name, token, base
        account.save()
    return account


def do_disconnect(account: SocialAccount) -> None:
    """Forget the token; the account and its publication history stay."""
    SocialAccount.objects.filter(pk=account.pk).update(access_token="")
    account.access_token = ""


def masked_token(token: str) -> str:
    if not token:
        return ""
    return "•" * 8 + token[-4:] if len(token) > 12 else "•" * 8
