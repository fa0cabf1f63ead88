"""Which kind of village letter a (normalised) message mentions."""

import re

from rapidfuzz import fuzz, process

from balai.nlu.normalise import KNOWN_WORDS

LETTER_TYPES = (
    "domisili", "sktm", "usaha", "skck", "kelahiran", "kematian", "pindah", "ktp", "kk",
    "belum_menikah", "kehilangan", "keramaian",
)  # fmt: skip

# Phrases that name a letter type on their own, most specific first: "surat kehilangan ktp" is
# kehilangan, "surat pindah domisili" is pindah, "fotokopi kk untuk domisili" is domisili.
_STRONG = [
    ("kehilangan", r"kehilangan\w*|(surat|keterangan|laporan) (\w+ )?(hilang|ilang)"),
    ("keramaian", r"keramaian|izin (\w+ )?(acara|hajatan|pesta|hiburan|orgen|dangdut\w*|"
     r"nikahan|sunatan|resepsi|konser|pentas)"),
    ("kematian", r"kematian|akta mati|(surat|keterangan) (\w+ )?(meninggal|wafat)"),
    ("kelahiran", r"kelahiran|akta (\w+ )?lahir\w*|(surat|keterangan) (\w+ )?lahir"),
    ("belum_menikah", r"belum (pernah )?(menikah|nikah|kawin)|lajang|single|bujang|perawan"),
    ("sktm", r"sktm|(surat|keterangan) (\w+ )?(tidak|kurang|teu|ora) mampu"),
    ("skck", r"skck|catatan kepolisian|kelakuan baik"),
    ("usaha", r"sku|skdu|siup|(surat|keterangan|izin|sk|pengantar) (\w+ )?usaha"),
    ("pindah", r"(surat|keterangan|pengantar) (\w+ )?pindah\w*|pindah (datang|keluar|penduduk)"
     r"|mutasi"),
    ("domisili", r"domisili|keterangan (\w+ )?tinggal|surat tinggal"),
    ("kk", r"kk|kartu keluarga"),
    ("ktp", r"ktp|ektp|e ktp|ktp el|kartu tanda penduduk"),
]  # fmt: skip
# Words that point to a type only when the message is about a letter anyway ("lampu hilang"
# is a complaint, "acara 17an" a question).
_WEAK = [
    ("kehilangan", r"hilang|ilang|dicopet|kecurian|kemalingan"),
    ("keramaian", r"hajatan|pesta|nikahan|sunatan|resepsi|orgen|dangdut\w*"),
    ("kematian", r"meninggal|wafat|almarhum\w*|almarhumah|mati"),
    ("kelahiran", r"lahir\w*|melahirkan|bayi|akta anak"),
    ("usaha", r"usaha|dagang|warung"),
    ("sktm", r"(tidak|kurang|teu|ora) mampu|miskin"),
    ("pindah", r"pindah\w*|boyong"),
]  # fmt: skip
_STRONG_RE = [(t, re.compile(rf"\b(?:{p})\b")) for t, p in _STRONG]
_WEAK_RE = [(t, re.compile(rf"\b(?:{p})\b")) for t, p in _WEAK]

# Misspellings of the long, distinctive words ("domisli", "kelahirn", "kepolisan").
_FUZZY = {
    "domisili": "domisili", "kelahiran": "kelahiran", "kematian": "kematian",
    "keramaian": "keramaian", "kehilangan": "kehilangan", "kepolisian": "skck",
    "pindahan": "pindah", "keterangan": "", "kartu": "",
}  # fmt: skip
_FUZZY_CUTOFF = 80
_PRIORITY = {t: i for i, (t, _) in enumerate(_STRONG)}


def _fuzzy_types(words: list[str]) -> set[str]:
    found = set()
    for word in words:
        if len(word) < 6 or word in KNOWN_WORDS or word in _FUZZY:
            continue
        # A dict as choices yields (value, score, key): the value is the letter type.
        hit = process.extractOne(word, _FUZZY, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if hit and hit[0]:
            found.add(hit[0])
    return found


def letter_type(normalised: str, about_letters: bool) -> str | None:
    """The letter type named in the text; weak hints count only when ``about_letters``."""
    found = {t for t, rx in _STRONG_RE if rx.search(normalised)}
    if about_letters or "surat" in normalised:
        found |= _fuzzy_types(normalised.split())
        if not found:
            found = {t for t, rx in _WEAK_RE if rx.search(normalised)}
    return min(found, key=_PRIORITY.__getitem__) if found else None
