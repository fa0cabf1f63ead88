"""A thin Cloud API client over the HTTP seam, and Meta's error codes sorted by what to do.

Why not pywa: pywa (MIT, well kept) fixes the Graph host and the ``Authorization: Bearer``
header inside ``GraphAPI.__init__``, builds and sends a message in one call (Balai stores the
exact body in the outbox first), and keeps listeners and duplicate detection in process
memory. What Balai needs from the API is four calls; they are here.
"""

import httpx

from balai.lib import http
from balai.whatsapp.models import WhatsAppNumber

# Meta's codes (reference/whatsapp.md §3.2). Anything not listed is treated as permanent.
RETRYABLE = {1, 2, 4, 80007, 130429, 131000, 131016, 131057}
PER_RECIPIENT = {131056}  # pair rate limit: wait 4^n s for this recipient only
OUTSIDE_WINDOW = 131047
PAUSE_NUMBER = {190, 368, 131031}  # token expired, account restricted, account locked
TRANSPORT_ERROR = -1  # our own code for timeouts and connection failures


class CloudAPIError(Exception):
    def __init__(
        self, code: int, message: str, *, http_status: int | None = None, details: str = ""
    ):
        self.code, self.message, self.http_status, self.details = (
            code,
            message,
            http_status,
            details,
        )
        super().__init__(f"({code}) {message}" + (f": {details}" if details else ""))

    @property
    def retryable(self) -> bool:
        if self.code in RETRYABLE or self.code in PER_RECIPIENT or self.code == TRANSPORT_ERROR:
            return True
        if self.http_status is None:
            return False
        # An answer without Graph's error JSON (a proxy's HTML 502/503/504, a bare 429) has
        # the HTTP status as its code: the server's trouble or a "slow down", never ours.
        if self.code == self.http_status and (self.http_status >= 500 or self.http_status == 429):
            return True
        return self.http_status >= 500 and self.code < 100


def _raise_for(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code == 200 and isinstance(data, dict) and "error" not in data:
        return data
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        raise CloudAPIError(
            response.status_code,
            f"HTTP {response.status_code}",
            http_status=response.status_code,
            details=response.text[:300],
        )
    try:
        code = int(error.get("code", response.status_code))
    except (TypeError, ValueError):
        code = response.status_code
    details = ""
    if isinstance(error.get("error_data"), dict):
        details = str(error["error_data"].get("details", ""))
    raise CloudAPIError(
        code,
        str(error.get("message", ""))[:500],
        http_status=response.status_code,
        details=details[:500],
    )


class CloudAPI:
    def __init__(self, number: WhatsAppNumber):
        self.number = number

    def _call(self, method: str, path: str, **kwargs) -> dict:
        url = f"{self.number.base_url}/{path.lstrip('/')}"
        headers = {self.number.auth_header: self.number.auth_value()}
        try:
            response = http.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException as e:
            raise CloudAPIError(TRANSPORT_ERROR, f"timeout: {e}") from e
        except httpx.HTTPError as e:
            raise CloudAPIError(TRANSPORT_ERROR, f"connection failed: {e}") from e
        return _raise_for(response)

    def send(self, body: dict) -> str:
        """POST a message body; return the wamid Meta assigned."""
        data = self._call("POST", f"{self.number.phone_number_id}/messages", json=body)
        try:
            return data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise CloudAPIError(TRANSPORT_ERROR, "send response without a message id") from None

    def mark_read(self, body: dict) -> None:
        self._call("POST", f"{self.number.phone_number_id}/messages", json=body)

    def phone_info(self) -> dict:
        return self._call(
            "GET",
            self.number.phone_number_id,
            params={"fields": "display_phone_number,verified_name,quality_rating,throughput"},
        )

    def media_info(self, media_id: str) -> dict:
        return self._call("GET", media_id)

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """Fetch a media URL (it needs the same auth) and refuse anything over ``max_bytes``."""
        headers = {self.number.auth_header: self.number.auth_value()}
        try:
            response = http.request("GET", url, headers=headers)
        except httpx.HTTPError as e:
            raise CloudAPIError(TRANSPORT_ERROR, f"media download failed: {e}") from e
        if response.status_code != 200:
            _raise_for(response)
        if len(response.content) > max_bytes:
            raise CloudAPIError(131052, f"media is {len(response.content)} bytes, over the limit")
        return response.content

    def upload(self, content: bytes, mime_type: str, filename: str) -> str:
        data = self._call(
            "POST",
            f"{self.number.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        return data["id"]
