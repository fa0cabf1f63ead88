"""Module-level tasks for the job tests (tasks must be importable by path)."""

from balai.core.jobs import PermanentError, job

CALLS: list[str] = []


@job(max_attempts=3)
def flaky(key: str, fail_times: int) -> str:
    CALLS.append(key)
    if CALLS.count(key) <= fail_times:
        raise RuntimeError(f"boom {key}")
    return f"done {key}"


@job()
def refuses() -> None:
    CALLS.append("refuses")
    raise PermanentError("bad input")


@job()
def write_file(path: str, text: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    return text
