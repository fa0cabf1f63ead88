"""The approval chain a letter request walks through, per village.

A village picks one chain (``Village.approval_chain``); each stage says who may act. The
last stage is the signature: signing issues the letter (number, PDF, QR) and delivers it.
"""

from dataclasses import dataclass

from balai.letters.models import RequestState
from balai.villages.roles import Role


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    action: str  # the button staff press
    roles: frozenset[str]
    state: str  # the request's state while it waits at this stage


VERIFY = Stage(
    "verify",
    "Verifikasi berkas",
    "Berkas lengkap, teruskan",
    frozenset({Role.OPERATOR, Role.KASI_PELAYANAN}),
    RequestState.SUBMITTED,
)
CHECK_KASI = Stage(
    "check_kasi",
    "Pemeriksaan kasi pelayanan",
    "Sudah diperiksa, teruskan",
    frozenset({Role.KASI_PELAYANAN}),
    RequestState.IN_REVIEW,
)
CHECK = Stage(
    "check",
    "Pemeriksaan sekretaris desa",
    "Sudah diperiksa, teruskan",
    frozenset({Role.SEKDES}),
    RequestState.IN_REVIEW,
)
SIGN = Stage(
    "sign",
    "Tanda tangan kepala desa",
    "Tandatangani surat",
    frozenset({Role.KADES}),
    RequestState.AWAITING_SIGNATURE,
)

CHAINS = {
    "operator-sekdes-kades": (VERIFY, CHECK, SIGN),
    "operator-kades": (VERIFY, SIGN),
    "operator-kasi-sekdes-kades": (VERIFY, CHECK_KASI, CHECK, SIGN),
}


def chain(village) -> tuple[Stage, ...]:
    return CHAINS.get(village.approval_chain, CHAINS["operator-sekdes-kades"])


def stage_of(request) -> Stage | None:
    stages = chain(request.village)
    return stages[request.stage] if request.stage < len(stages) else None
