"""Status lookup on the public page: a ticket code plus the last four digits of the phone
number that made it. The answer carries no personal data (no name, no notes, no answers),
only what kind of ticket it is, its state and the dates of its steps.

Every miss is counted per address and per ticket in the shared cache: after
``MISSES_PER_MINUTE`` wrong tries from one address, or ``MISSES_PER_TICKET`` on one ticket
within an hour, lookups are refused for a while. Four digits are 10,000 guesses; these limits
make guessing one ticket take weeks, and a resident can always ask on WhatsApp instead.
"""

import hashlib
from dataclasses import dataclass, field

from balai.complaints.models import Complaint, ComplaintState
from balai.letters.models import LetterRequest, RequestState
from balai.lib import ratelimit

MISSES_PER_MINUTE = 20
MISSES_PER_TICKET = 20
TICKET_WINDOW = 3600

DONE_STATES = {RequestState.COMPLETED, ComplaintState.RESOLVED, ComplaintState.CLOSED}
STOPPED_STATES = {RequestState.REJECTED, RequestState.CANCELLED, ComplaintState.REJECTED}


@dataclass
class Ticket:
    code: str
    kind: str
    title: str
    state: str
    state_label: str
    submitted_at: object
    due_date: object = None
    history: list = field(default_factory=list)

    @property
    def tone(self) -> str:
        if self.state in DONE_STATES or self.state == RequestState.READY:
            return "done"
        if self.state in STOPPED_STATES:
            return "closed"
        return "open"


def _keys(ip: str, code: str) -> tuple[str, str]:
    ticket = hashlib.sha256(code.encode()).hexdigest()[:24]
    return f"status-miss:ip:{ip}", f"status-miss:ticket:{ticket}"


def throttled(ip: str, code: str = "") -> bool:
    by_ip, by_ticket = _keys(ip, code)
    if ratelimit.count(by_ip) >= MISSES_PER_MINUTE:
        return True
    return bool(code) and ratelimit.count(by_ticket) >= MISSES_PER_TICKET


def record_miss(ip: str, code: str) -> None:
    by_ip, by_ticket = _keys(ip, code)
    ratelimit.record(by_ip, 60)
    ratelimit.record(by_ticket, TICKET_WINDOW)


def _phone_ends(suffix: str, *residents) -> bool:
    return any(r is not None and r.phone and r.phone.endswith(suffix) for r in residents)


def find(village, code: str, suffix: str) -> Ticket | None:
    """The ticket ``code`` of ``village`` if one of its phones ends in ``suffix``."""
    request = (
        LetterRequest.objects.filter(village=village, code=code)
        .select_related("letter_type", "resident", "contact")
        .first()
    )
    if request is not None:
        if not _phone_ends(suffix, request.contact, request.resident):
            return None
        return Ticket(
            code=request.code,
            kind="Permohonan surat",
            title=request.letter_type.name,
            state=request.state,
            state_label=request.get_state_display(),
            submitted_at=request.submitted_at,
            due_date=request.due_date if request.is_open else None,
            history=[
                (e.created, e.get_state_display())
                for e in request.events.filter(internal=False).order_by("created", "pk")
            ],
        )
    complaint = (
        Complaint.objects.filter(village=village, code=code)
        .select_related("category", "resident")
        .first()
    )
    if complaint is None or not _phone_ends(suffix, complaint.resident):
        return None
    return Ticket(
        code=complaint.code,
        kind=complaint.get_kind_display(),
        title=str(complaint.category),
        state=complaint.state,
        state_label=complaint.get_state_display(),
        submitted_at=complaint.submitted_at,
        history=[
            (e.created, e.get_state_display())
            for e in complaint.events.filter(internal=False).order_by("created", "pk")
        ],
    )
