"""A fake Graph API for publishing to Facebook Pages and Instagram, under
``/simulator/meta/v25.0/``: what ``balai.market.publishing`` talks to when an account was
connected "for trying out" (``SocialAccount.api_base_url``), and in tests.

It follows Meta's documented shapes:

- ``POST /<PAGE_ID>/photos`` (``url``, ``caption``, ``published``) → ``{"id", "post_id"}``.
- ``POST /<IG_ID>/media`` (``image_url``, ``caption``) → ``{"id": <container>}``;
  ``GET /<CONTAINER_ID>?fields=status_code,status`` → ``IN_PROGRESS`` on the first read,
  ``FINISHED`` after (``ERROR`` with a subcode in ``status`` for an image Instagram would
  refuse: not a JPEG, over 8 MB, aspect ratio outside 4:5–1.91:1; ``EXPIRED`` after 24 h);
  ``POST /<IG_ID>/media_publish`` (``creation_id``) → ``{"id": <media>}``, refused with
  code 9 / subcode 2207042 once 50 posts were published in the moving 24 hours;
  ``GET /<IG_ID>/content_publishing_limit`` → ``{"data": [{"quota_usage", "config":
  {"quota_total": 50, "quota_duration": 86400}}]}``.
- ``GET /<ID>?fields=name`` (a Page) or ``fields=username`` (an Instagram account).
- Errors as ``{"error": {"message", "type", "code", "error_subcode", "is_transient",
  "error_user_title", "error_user_msg", "fbtrace_id"}}``.

Tokens: an ``Authorization: Bearer`` header (or ``access_token`` parameter) is required; a
token shorter than 16 characters, or one starting with ``EXPIRED``, is refused with 190; an
account registered through ``register`` (or ``POST api/accounts``) accepts only its own
token. Any other numeric ID is a Page and an Instagram account at once, so the demo can
connect whatever it likes.

Images are fetched the way Meta cURLs them: an address on this Balai (``SITE_URL``) is
resolved and its view called in process (no HTTP to ourselves, and no nested WSGI request
inside a test's transaction); anything else goes through ``balai.lib.http``.

Faults (``set_fault`` or ``POST api/faults``) make the next calls for an account fail the
way Meta fails: ``token_expired`` (190/463), ``permission`` (200), ``rate_limit`` (4,
transient), ``server_error`` (HTTP 500, code 2, transient), ``image_error`` (the next
container ends in ERROR). ``set_quota_used`` (``POST api/quota``) pretends other apps
already published to an Instagram account.

State lives in the shared cache (one key), so the web process and the worker see the same
fake Meta; it is small and disposable, like the simulator itself.
"""

import io
import json
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

from balai.lib import http

app_name = "graph"

KEY = "simulator:graph:state"
TTL = 7 * 24 * 3600
DAY = 24 * 3600
IG_LIMIT = 50
IG_MAX_BYTES = 8 * 1024 * 1024
FB_MAX_BYTES = 4 * 1024 * 1024
IG_ASPECT = (0.8, 1.91)
READS_BEFORE_FINISHED = 1  # the first status read says IN_PROGRESS, the next FINISHED
LOG_MAX = 300


# --- State --------------------------------------------------------------------------------------


def _empty() -> dict:
    return {
        "accounts": {},
        "containers": {},
        "photos": [],
        "media": [],
        "faults": [],
        "quota": {},
        "log": [],
    }


def state() -> dict:
    return cache.get(KEY) or _empty()


def _save(data: dict) -> None:
    data["log"] = data["log"][-LOG_MAX:]
    cache.set(KEY, data, TTL)


def reset() -> None:
    cache.delete(KEY)


def clear_log() -> None:
    data = state()
    data["log"] = []
    _save(data)


def register(account_id: str, *, kind: str, token: str, name: str = "") -> None:
    """Make ``account_id`` a known Page (``kind`` "facebook") or Instagram account that
    accepts only ``token``."""
    data = state()
    data["accounts"][str(account_id)] = {"kind": kind, "token": token, "name": name}
    _save(data)


FAULT_KINDS = {"token_expired", "permission", "rate_limit", "server_error", "image_error"}


def set_fault(account_id: str, kind: str, count: int = 1) -> None:
    """The next ``count`` calls for ``account_id`` ("*": any account) fail as ``kind``;
    ``count`` -1 keeps failing until ``reset``."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
    data = state()
    data["faults"].append({"account": str(account_id), "kind": kind, "remaining": count})
    _save(data)


def set_quota_used(account_id: str, used: int) -> None:
    """Posts other apps published to this Instagram account in the last 24 hours."""
    data = state()
    data["quota"][str(account_id)] = int(used)
    _save(data)


def _new_id() -> str:
    return str(10**16 + secrets.randbelow(9 * 10**16))


# --- Meta's answers -----------------------------------------------------------------------------


class Fail(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int = 400,
        subcode: int | None = None,
        kind: str = "OAuthException",
        transient: bool = False,
        title: str = "",
        user_message: str = "",
    ):
        super().__init__(message)
        self.code, self.message, self.status, self.subcode = code, message, status, subcode
        self.kind, self.transient, self.title, self.user_message = (
            kind,
            transient,
            title,
            user_message,
        )

    def response(self) -> JsonResponse:
        error = {
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y"),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient:
            error["is_transient"] = True
        if self.title:
            error["error_user_title"] = self.title
        if self.user_message:
            error["error_user_msg"] = self.user_message
        return JsonResponse({"error": error}, status=self.status)


def no_object(object_id: str, method: str) -> Fail:
    return Fail(
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        kind="GraphMethodException",
    )


def missing(param: str) -> Fail:
    return Fail(100, f"(#100) The parameter {param} is required", kind="OAuthException")


FAULTS = {
    "token_expired": lambda: Fail(
        190,
        "Error validating access token: Session has expired on Monday, 30-Nov-26 03:00:00 PST. "
        "The current time is Monday, 30-Nov-26 05:00:00 PST.",
        subcode=463,
        status=400,
    ),
    "permission": lambda: Fail(
        200,
        "(#200) The user hasn't authorized the application to perform this action",
        status=403,
    ),
    "rate_limit": lambda: Fail(
        4, "(#4) Application request limit reached", transient=True, status=400
    ),
    "server_error": lambda: Fail(
        2,
        "An unexpected error has occurred. Please retry your request later.",
        transient=True,
        status=500,
    ),
}


def _params(request) -> dict:
    params = {k: v for k, v in request.GET.items()}
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = {}
            if isinstance(body, dict):
                params.update({k: v for k, v in body.items() if not isinstance(v, dict | list)})
        else:
            params.update({k: v for k, v in request.POST.items()})
    return params


def _token(request, params: dict) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return str(params.get("access_token", "")).strip()


def _authorize(data: dict, request, params: dict, account_id: str) -> None:
    token = _token(request, params)
    if not token:
        raise Fail(
            2500, "An active access token must be used to query information about the current user."
        )
    if token.startswith("EXPIRED"):
        raise FAULTS["token_expired"]()
    if len(token) < 16 or " " in token:
        raise Fail(190, "Invalid OAuth access token - Cannot parse access token")
    known = data["accounts"].get(account_id)
    if known and known["token"] != token:
        raise Fail(
            190, "Error validating access token: The session has been invalidated.", subcode=460
        )


def _take_fault(data: dict, account_id: str, kinds: set[str]) -> str | None:
    for fault in data["faults"]:
        if fault["remaining"] == 0 or fault["kind"] not in kinds:
            continue
        if fault["account"] not in {account_id, "*"}:
            continue
        if fault["remaining"] > 0:
            fault["remaining"] -= 1
        return fault["kind"]
    return None


def _check_account(object_id: str, method: str) -> None:
    if not object_id.isdigit():
        raise no_object(object_id, method)


def endpoint(view):
    """Common handling: load the state, answer errors in Meta's shape, log the call, save."""

    @csrf_exempt
    def wrapper(request, version: str, node: str):
        data = state()
        params = _params(request)
        try:
            response = JsonResponse(view(request, data, params, node))
        except Fail as fail:
            response = fail.response()
        data["log"].append(
            {
                "method": request.method,
                "path": request.path.split("/meta/", 1)[-1],
                "status": response.status_code,
                "at": time.time(),
            }
        )
        _save(data)
        return response

    return wrapper


def _guard(request, data, params, account_id: str) -> None:
    """Token, then any fault set for the account."""
    _authorize(data, request, params, account_id)
    kind = _take_fault(data, account_id, set(FAULTS))
    if kind:
        raise FAULTS[kind]()


# --- Fetching images the way Meta does ----------------------------------------------------------


def fetch(url: str) -> tuple[int, str, bytes]:
    """(HTTP status, content type, body) of ``url``."""
    site = settings.SITE_URL
    if url.startswith(site + "/"):
        parts = urlsplit(url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            return 404, "text/plain", b""
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(),
            "HTTP_USER_AGENT": "facebookexternalhit/1.1",
        }
        try:
            response = match.func(WSGIRequest(environ), *match.args, **match.kwargs)
        except Http404:
            return 404, "text/plain", b""
        streamed = response.streaming
        body = b"".join(response.streaming_content) if streamed else response.content
        # Not response.close(): that sends request_finished, whose receiver would close the
        # database connection in the middle of this request. Only the file needs closing.
        filelike = getattr(response, "file_to_stream", None)
        if filelike is not None:
            filelike.close()
        return response.status_code, response.get("Content-Type", ""), body
    try:
        response = http.request("GET", url, timeout=10, follow_redirects=True)
    except Exception:  # any failure is "could not be fetched"
        return 0, "", b""
    return response.status_code, response.headers.get("content-type", ""), response.content


def _image_problem(content_type: str, body: bytes, *, instagram: bool) -> tuple[int, str] | None:
    """(subcode, message) of what Instagram or Facebook would refuse, or None."""
    limit = IG_MAX_BYTES if instagram else FB_MAX_BYTES
    if len(body) > limit:
        return (
            2207004,
            f"The image is too large to download. It should be less than {limit >> 20} MiB.",
        )
    try:
        with Image.open(io.BytesIO(body)) as img:
            img.verify()
        with Image.open(io.BytesIO(body)) as img:
            fmt, (width, height) = img.format, img.size
    except Exception:  # not an image Pillow can read
        return 2207026, "The image format is not supported."
    if instagram and fmt != "JPEG":
        return 2207026, "Only JPEG images are supported."
    ratio = width / height if height else 0
    if instagram and not IG_ASPECT[0] - 1e-3 <= ratio <= IG_ASPECT[1] + 1e-3:
        return 2207009, (
            f"The submitted image with aspect ratio ('{width}/{height}') cannot be published."
        )
    return None


# --- Endpoints ----------------------------------------------------------------------------------


@endpoint
def photos(request, data, params, node):
    """``POST /<PAGE_ID>/photos``: a photo post on the Page's feed."""
    if request.method != "POST":
        raise no_object(node, request.method.lower())
    _check_account(node, "post")
    _guard(request, data, params, node)
    url = str(params.get("url", ""))
    if not url:
        raise Fail(324, "(#324) Requires upload file", kind="OAuthException")
    status, content_type, body = fetch(url)
    if status != 200:
        raise Fail(
            324, f"(#324) Missing or invalid image file (fetching the url answered {status})"
        )
    problem = _image_problem(content_type, body, instagram=False)
    if problem:
        raise Fail(324, f"(#324) Missing or invalid image file: {problem[1]}")
    photo_id = _new_id()
    post_id = f"{node}_{_new_id()}"
    published = str(params.get("published", "true")).lower() != "false"
    data["photos"].append(
        {
            "page": node,
            "id": photo_id,
            "post_id": post_id,
            "url": url,
            "caption": str(params.get("caption", "")),
            "bytes": len(body),
            "published": published,
            "at": time.time(),
        }
    )
    return {"id": photo_id, "post_id": post_id} if published else {"id": photo_id}


@endpoint
def media(request, data, params, node):
    """``POST /<IG_ID>/media``: an image container."""
    if request.method != "POST":
        raise no_object(node, request.method.lower())
    _check_account(node, "post")
    _guard(request, data, params, node)
    url = str(params.get("image_url", ""))
    if not url:
        if params.get("video_url") or params.get("media_type"):
            raise Fail(100, "(#100) Only single images are supported by this simulator")
        raise missing("image_url")
    caption = str(params.get("caption", ""))
    if len(caption) > 2200:
        raise Fail(100, "(#100) The caption is too long: 2200 characters at most", subcode=2207010)
    if caption.count("#") > 30:
        raise Fail(100, "(#100) A caption may have at most 30 hashtags", subcode=2207010)
    status, content_type, body = fetch(url)
    if status != 200:
        raise Fail(
            9004,
            "The media could not be fetched from this uri: " + url,
            subcode=2207052,
            title="Media download has failed.",
            user_message="The media could not be fetched from this uri.",
        )
    problem = _image_problem(content_type, body, instagram=True)
    if _take_fault(data, node, {"image_error"}):
        problem = problem or (2207026, "The image format is not supported.")
    container = _new_id()
    data["containers"][container] = {
        "ig": node,
        "image_url": url,
        "caption": caption,
        "status_code": "ERROR" if problem else "IN_PROGRESS",
        "status": f"Error: {problem[0]} {problem[1]}" if problem else "In Progress",
        "reads": 0,
        "created": time.time(),
    }
    return {"id": container}


def _container_view(container_id: str, container: dict, fields: list[str]) -> dict:
    if container["status_code"] not in {"PUBLISHED", "ERROR"} and (
        time.time() - container["created"] > DAY
    ):
        container["status_code"], container["status"] = "EXPIRED", "Expired"
    if container["status_code"] == "IN_PROGRESS":
        container["reads"] += 1
        if container["reads"] > READS_BEFORE_FINISHED:
            container["status_code"], container["status"] = "FINISHED", "Finished: Media uploaded"
    shown = {"id": container_id}
    for name in fields or ["id"]:
        if name in {"status_code", "status"}:
            shown[name] = container[name]
        elif name != "id":
            raise Fail(
                100,
                f"(#100) Tried accessing nonexisting field ({name}) on node type "
                "(ShadowIGMediaBuilder)",
            )
    return shown


@endpoint
def node_view(request, data, params, node):
    """``GET /<CONTAINER_ID>`` or ``GET /<PAGE_OR_IG_ID>``."""
    if request.method != "GET":
        raise no_object(node, request.method.lower())
    fields = [f.strip() for f in str(params.get("fields", "")).split(",") if f.strip()]
    container = data["containers"].get(node)
    if container is not None:
        _guard(request, data, params, container["ig"])
        return _container_view(node, container, fields)
    _check_account(node, "get")
    _guard(request, data, params, node)
    known = data["accounts"].get(node, {})
    values = {
        "id": node,
        "name": known.get("name") or f"Halaman Uji {node[-4:]}",
        "username": known.get("name") or f"akun_uji_{node[-4:]}",
    }
    unknown = [f for f in fields if f not in values]
    if unknown:
        raise Fail(100, f"(#100) Tried accessing nonexisting field ({unknown[0]})")
    return {f: values[f] for f in fields or ["name", "id"]} | {"id": node}


def _published_today(data: dict, ig: str) -> int:
    since = time.time() - DAY
    own = sum(1 for m in data["media"] if m["ig"] == ig and m["at"] >= since)
    return own + int(data["quota"].get(ig, 0))


@endpoint
def media_publish(request, data, params, node):
    """``POST /<IG_ID>/media_publish``: publish a FINISHED container."""
    if request.method != "POST":
        raise no_object(node, request.method.lower())
    _check_account(node, "post")
    _guard(request, data, params, node)
    creation = str(params.get("creation_id", ""))
    if not creation:
        raise missing("creation_id")
    container = data["containers"].get(creation)
    if container is None or container["ig"] != node:
        raise Fail(24, "The requested resource does not exist", subcode=2207008)
    if container["status_code"] != "FINISHED":
        raise Fail(
            9007,
            "Media ID is not available",
            subcode=2207027,
            title="Media ID is not available",
            user_message="The media is not ready for publishing, please wait for a moment",
        )
    if _published_today(data, node) >= IG_LIMIT:
        raise Fail(
            9,
            "Application request limit reached",
            subcode=2207042,
            title="Maximum number of posts reached",
            user_message="You reached maximum number of posts that is allowed to be published "
            "by Content Publishing API.",
        )
    media_id = _new_id()
    container["status_code"], container["status"] = "PUBLISHED", "Published"
    data["media"].append(
        {
            "ig": node,
            "id": media_id,
            "container": creation,
            "caption": container["caption"],
            "at": time.time(),
        }
    )
    return {"id": media_id}


@endpoint
def publishing_limit(request, data, params, node):
    """``GET /<IG_ID>/content_publishing_limit``."""
    if request.method != "GET":
        raise no_object(node, request.method.lower())
    _check_account(node, "get")
    _guard(request, data, params, node)
    fields = [f.strip() for f in str(params.get("fields", "quota_usage")).split(",") if f.strip()]
    row = {"quota_usage": _published_today(data, node)}
    if "config" in fields:
        row["config"] = {"quota_total": IG_LIMIT, "quota_duration": DAY}
    return {"data": [row]}


@csrf_exempt
def root(request, version: str):
    return no_object("", request.method.lower()).response()


# --- A small JSON control API (tests, scripts, the demo) -----------------------------------------


def _json(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
def api_state(request):
    if request.method == "POST":
        reset()
    data = state()
    return JsonResponse(
        {k: v for k, v in data.items() if k != "accounts"}
        | {
            "accounts": {
                k: {"kind": v["kind"], "name": v["name"]} for k, v in data["accounts"].items()
            }
        }
    )


@csrf_exempt
def api_faults(request):
    if request.method != "POST":
        return JsonResponse({"faults": state()["faults"]})
    body = _json(request)
    try:
        set_fault(str(body.get("account", "*")), str(body.get("kind")), int(body.get("count", 1)))
    except (TypeError, ValueError) as e:
        return JsonResponse({"error": str(e)}, status=400)
    return JsonResponse({"ok": True})


@csrf_exempt
def api_quota(request):
    body = _json(request)
    try:
        set_quota_used(str(body["account"]), int(body.get("used", IG_LIMIT)))
    except (KeyError, TypeError, ValueError):
        return JsonResponse({"error": "give account and used"}, status=400)
    return JsonResponse({"ok": True})


@csrf_exempt
def api_accounts(request):
    body = _json(request)
    try:
        register(
            str(body["id"]),
            kind=str(body.get("kind", "facebook")),
            token=str(body["token"]),
            name=str(body.get("name", "")),
        )
    except KeyError:
        return JsonResponse({"error": "give id and token"}, status=400)
    return JsonResponse({"ok": True})


V = r"^(?P<version>v\d+\.\d+)/"
urlpatterns = [
    re_path(V + r"$", root, name="root"),
    re_path(V + r"(?P<node>[^/]+)/photos$", photos, name="photos"),
    re_path(V + r"(?P<node>[^/]+)/media$", media, name="media"),
    re_path(V + r"(?P<node>[^/]+)/media_publish$", media_publish, name="media_publish"),
    re_path(
        V + r"(?P<node>[^/]+)/content_publishing_limit$", publishing_limit, name="publishing_limit"
    ),
    re_path(V + r"(?P<node>[^/]+)$", node_view, name="node"),
    path("api/state", api_state, name="api_state"),
    path("api/faults", api_faults, name="api_faults"),
    path("api/quota", api_quota, name="api_quota"),
    path("api/accounts", api_accounts, name="api_accounts"),
]
