"""A storm of signed webhooks: many POSTs over a few keep-alive connections, as Meta sends them.

Used by ``scripts/bench_load.py`` and the fault tests. Plain asyncio over HTTP/1.1 (no client
library in the way): every body is sent once, in the given order, over ``connections``
concurrent connections; each answer's status and time are recorded. A connection that fails
is opened again and the body it was sending is recorded with status 0 (not sent again: the
caller decides, as Meta retries what was not answered 200).
"""

import asyncio
import concurrent.futures
import hashlib
import hmac
import time
from dataclasses import dataclass


@dataclass
class Answer:
    key: str  # the caller's name for the body (e.g. the wamid)
    status: int  # HTTP status, 0 when the connection failed
    started: float  # time.monotonic()
    seconds: float


def signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _request(host: str, path: str, body: bytes, signature: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"User-Agent: facebookexternalua\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of one response, and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close, chunked = None, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value == "close":
            close = True
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent here
    elif length is not None:
        await reader.readexactly(length)
    else:  # the body runs to the end of the connection
        await reader.read()
        close = True
    return status, close


async def _storm(
    host: str,
    port: int,
    path: str,
    bodies: list[tuple[str, bytes, str]],
    connections: int,
    timeout: float,
) -> list[Answer]:
    answers: list[Answer] = []
    position = 0

    async def connection():
        nonlocal position
        reader = writer = None
        while position < len(bodies):
            key, body, signature = bodies[position]
            position += 1
            started = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(host, port), timeout
                    )
                writer.write(_request(f"{host}:{port}", path, body, signature))
                await writer.drain()
                status, close = await asyncio.wait_for(_read_answer(reader), timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status, close = 0, True
            answers.append(Answer(key, status, started, time.monotonic() - started))
            if close and writer is not None:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(max(1, min(connections, len(bodies))))))
    return answers


def post_all(
    url_host: str,
    port: int,
    path: str,
    bodies: list[tuple[str, bytes, str]],
    *,
    connections: int = 32,
    timeout: float = 30.0,
) -> list[Answer]:
    """POST each ``(key, body, signature)`` once; the answers in the order they came."""
    storm = _storm(url_host, port, path, bodies, connections, timeout)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(storm)
    # A loop already runs in this thread (Playwright's sync API in the same test process):
    # asyncio.run() refuses to nest, so the storm gets a thread and a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, storm).result()
