"""Staff roles in a village and what each may do.

Capabilities are checked by name (``membership.can("reveal_nik")``) so views never compare
role names themselves.
"""

from django.db import models


class Role(models.TextChoices):
    OPERATOR = "operator", "Operator"
    KASI_PELAYANAN = "kasi_pelayanan", "Kasi Pelayanan"
    SEKDES = "sekdes", "Sekretaris Desa"
    KADES = "kades", "Kepala Desa"
    PENDAMPING = "pendamping", "Pendamping"
    DPL = "dpl", "DPL (Dosen Pembimbing Lapangan)"


OFFICE = {Role.OPERATOR, Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES}

CAPABILITIES: dict[str, set[str]] = {
    # The village's resident register (personal data): village office only.
    "view_residents": OFFICE,
    "manage_residents": OFFICE,
    # Seeing a full NIK/KK is logged and limited to those who sign or check letters.
    "reveal_nik": {Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES},
    # Residents' UU PDP requests (a copy of their data, erasure): the office sees the queue
    # and records requests made at the counter; an export holds the full NIK/KK and an
    # erasure cannot be undone, so only those who may reveal a NIK carry them out.
    "view_data_requests": OFFICE,
    "handle_data_requests": {Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES},
    # Village profile, office hours, areas and staff.
    "manage_village": {Role.OPERATOR, Role.SEKDES, Role.KADES},
    "view_staff": OFFICE | {Role.PENDAMPING, Role.DPL},
    # Letter requests, the WhatsApp inbox and the complaints desk: the village office.
    "process_requests": OFFICE,
    "handle_inbox": OFFICE,
    "handle_complaints": OFFICE,
    # Community programmes: facilitators run them with the office; DPL read everything.
    "view_programmes": OFFICE | {Role.PENDAMPING, Role.DPL},
    "manage_programmes": OFFICE | {Role.PENDAMPING},
    # Village news and WhatsApp announcements: the office writes and sends; a send to more
    # recipients than the village's threshold needs the sekdes or the kades; the village's
    # announcement settings (threshold, rates, pace) are theirs too.
    "view_announcements": OFFICE | {Role.PENDAMPING, Role.DPL},
    "compose_announcements": OFFICE,
    "approve_announcements": {Role.SEKDES, Role.KADES},
    # Small businesses: catalogue, content and sales, managed by facilitators and the office.
    "view_market": OFFICE | {Role.PENDAMPING, Role.DPL},
    "manage_market": OFFICE | {Role.PENDAMPING},
    # Outcome monitoring (indicators, dashboards, exports): as programmes, DPL read only.
    # The village's API tokens for BI tools are the village admin's (manage_village).
    "view_outcomes": OFFICE | {Role.PENDAMPING, Role.DPL},
    "manage_outcomes": OFFICE | {Role.PENDAMPING},
    # DPL (supervising lecturers) read and comment; they never change anything.
    "comment": set(Role),
}


def role_can(role: str, capability: str) -> bool:
    try:
        return role in CAPABILITIES[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}") from None
