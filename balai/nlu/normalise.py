"""Normalising informal Indonesian WhatsApp text, and reading rupiah amounts and quantities.

``normalise("sy mw bkin srt domisili gmn y")`` → ``"saya mau bikin surat domisili bagaimana ya"``.
"""

import re
import unicodedata

# Chat abbreviations and slang → standard words, one "standard = variants" line each. Regional
# greetings and thanks are kept (only their spellings are unified) for the recogniser.
_SLANG_TABLE = """
saya = sy sya saye aku aq ak gw gue gua w
kamu = km kmu lu lo
kami = kmi
kita = qt kt
bapak = bpk bp
ibu = ibuk buk bunda
mbak = mba mb
mas = ms
akang = kang
teh = teteh
admin = min mimin
kepala desa = kades pakdes
mau = mw mo mao pengen pgn pingin pengin ingin hendak arep pen
bikin = bkin bkn bikinin
buat = buatin bwt bt
urus = ngurus ngurusin mengurus urusin
bagaimana = gmn gmna gimana gmana bgmn bgmna gmn2 piye
kapan = kpn kapn
berapa = brp brapa pira
di mana = dmn dimana dmana
mana = mn
kenapa = knp np ngapa napa
apa saja = apa2
apa = apaan ap
pak = pa pk
saja = aja aj ae doang
ya = y
iya = iy yoi yup yap
oke = ok okay okey okeh oc sip siap okk
belum = blm blum blom lom durung
sudah = udh sdh udah dah udeh sudh wes uwis wis dh
tidak = tdk gk ga gak nggak ngga engga enggak nda ndak tak kagak kaga g gx ora teu nope
jangan = jgn jngn
juga = jg jga
bisa = bs bsa isa bisa2
lagi = lg lgi agi
sama = sm ama sma
dengan = dg dgn dngn
untuk = utk untk
karena = krn karna krna
soalnya = soale
tolong = tlg tolongin
mohon = mhn
bantu = bantuin
besok = bsk besuk
sekarang = skrg skg skrang saiki
tadi = td
kemarin = kmrn kmarin
hari = hr hri
bulan = bln
tahun = thn
minggu = mgg
tanggal = tgl
jam = jm
dulu = dl dlu
kalau = kl klo kalo klu
tapi = tp tpi
terus = trs trus
yang = yg yng
dari = dr dri
kedua = ke2
orang = org orng
teman = tmn temen
banget = bgt bngt
benar = bener bnr
sebagai = sbg
seperti = spt kyk kayak
harus = hrs
masih = msh masi
hanya = cuma cm
ada = ad adakah
tidak apa apa = gpp gapapa
sedikit = sdikit dikit sdkt
banyak = byk bnyk
tahu = tau tw taw
mengerti = ngerti
bicara = ngomong ngobrol omong bcr
tanya = nanya tny nny
info = inpo infonya informasi
berita = brt
syarat = syrt
surat = srt surat2
keterangan = ket ktrngn keterngan
kelurahan = kel
desa = ds dsa
kantor = kntr kntor
alamat = alamt almt
nomor = no nmr nomer
whatsapp = wa
jalan = jln jl jalanan
rusak = rusak2
berlubang = bolong
sampah = sampah2
jadi = jd jdi
dapat = dpt dapet dpat
kirim = kirimin kirimi
dikirim = dikirimin
berhenti = brenti brhenti
batal = btl cancel cancelled
unsubscribe = unsub
subscribe = sub
langsung = lgsg lngsg
jual = jualan jualannya
barang = brg
harga = hrg hrga rega
murah = murmer
selalu = sll slalu
semua = smua smw
sampai = smpe sampe ampe
sebelum = sblm
setelah = stlh
habis = abis abs
masuk = msk
kasih = ngasih ksh kasi
di = d
terima kasih = makasih makasi mksh mksih mkasih makasiy trimakasih terimakasih trmksh tks
terima kasih = thx thanks thank tq ty trims trimkasih
matur nuwun = suwun maturnuwun maturnuhun
hatur nuhun = haturnuhun
suksma = suksme
assalamualaikum = ass aslm assalamu'alaikum asalamualaikum asslamualaikum assalamu samlekom mekom
warahmatullahi = wr
wabarakatuh = wb
halo = hallo helo hello hai hi hy hay spada
pagi = pgi pagii
siang = siank
malam = mlm
selamat = met slmt sugeng wilujeng
tabik = tabe
permisi = misi
nggih = ngih inggih njih
ektp = e-ktp ktp-el
akta = akte
monggo = mangga
"""
SLANG = {
    variant: standard.strip()
    for line in _SLANG_TABLE.strip().splitlines()
    for standard, _, variants in [line.partition("=")]
    for variant in variants.split()
}


def _wordset(text: str) -> set[str]:
    return set(text.split())


# Words whose double letters are real, so collapsing stretched letters must keep them.
_KEEP_DOUBLE = _wordset(
    """maaf saat taat manfaat allah assalamualaikum nggak nggih ngga kk ttd riil sukses
    innalillahi alhamdulillah insyaallah aamiin masyaallah dll dsb wassalam tunggu ektp"""
)
# Real words (never "corrected" as stretched or misspelt).
KNOWN_WORDS = (
    set(SLANG)
    | {w for v in SLANG.values() for w in v.split()}
    | _KEEP_DOUBLE
    | _wordset(
        """pak ibu halo oke ya sokasi batal berhenti surat domisili menu terima kasih tolong
        mau saya bang kak mantap lapor jalan lampu sampah air banjir pagi siang sore malam
        selamat status cek admin petugas p proses sabar laku terjual punten sampurasun
        swastiastu suksma nuhun rahayu horas"""
    )
)

_URL = re.compile(r"https?://\S+|www\.\S+")
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_REPEAT2 = re.compile(r"([a-z])\1+")
# "2an" / "jam 8an" → "2" / "jam 8".
_NUM_AN = re.compile(r"\b(\d+)an\b")
# Keep letters, digits and the marks that carry meaning inside tokens (12.500, 1,5, PDK-1).
_NOISE = re.compile(r"[^a-z0-9.,\-' ]+")
# Punctuation between words is noise; inside numbers it is kept.
_LOOSE_PUNCT = re.compile(r"(?<![0-9])[.,]|[.,](?![0-9])")
_CODE = re.compile(r"[a-z]{2,5}-\d")


def _collapse(token: str) -> str:
    """Collapse stretched letters ("makasihhhh" → "makasih") but keep real doubles ("maaf")."""
    if token in KNOWN_WORDS or not _REPEAT2.search(token):
        return token
    two = _REPEAT3.sub(r"\1\1", token)
    one = _REPEAT2.sub(r"\1", token)
    if two in KNOWN_WORDS:
        return two
    if one in KNOWN_WORDS:
        return one
    if two != token:  # stretched: keep the doubles that were already there ("tungguuu")
        return _REPEAT3.sub(r"\1", token)
    # A lone double at the end is usually stretching too ("pakk", "yaa", "okee").
    if len(token) > 2 and token[-1] == token[-2]:
        return token[:-1]
    return token


def _strip_accents(text: str) -> str:
    # Styled letters (𝗵𝗮𝗹𝗼, ｈａｌｏ) and accents → plain letters; emoji are removed later.
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _words(raw: str) -> list[str]:
    """One raw token → its normalised words."""
    tok = raw.strip(".,-'").replace("'", "")
    if not tok:
        return []
    if "-" in tok and tok not in SLANG and not _CODE.match(tok):
        left, _, right = tok.partition("-")
        if left == right.removesuffix("nya"):  # reduplication: "surat-surat" → "surat"
            return _words(left)
        return [w for part in tok.split("-") for w in _words(part)]
    if tok in SLANG:
        return SLANG[tok].split()
    # Reduplication written with a 2: "surat2" → "surat".
    if len(tok) > 3 and tok.endswith("2") and tok[:-1].isalpha():
        tok = tok[:-1]
    tok = _collapse(tok)
    return SLANG.get(tok, tok).split()


def normalise(text: str) -> str:
    """Lower-case, de-noise and de-slang a chat message; returns space-separated words."""
    text = _strip_accents(text or "").lower()
    text = _URL.sub(" ", text).replace("’", "'").replace("`", "'")
    text = _NOISE.sub(" ", text)
    text = _LOOSE_PUNCT.sub(" ", text)
    text = _NUM_AN.sub(r"\1", text)
    return " ".join(w for raw in text.split() for w in _words(raw))


# --------------------------------------------------------------------------- amounts
_UNITS = {"rb": 1_000, "ribu": 1_000, "rebu": 1_000, "rbu": 1_000, "k": 1_000, "ewu": 1_000,
          "jt": 1_000_000, "jta": 1_000_000, "juta": 1_000_000}  # fmt: skip
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"\brp\.?\s*(?P<rp>\d[\d.,]*)\s*(?P<u1>{_UNIT_RE})?\b"
    rf"|\b(?P<num>\d[\d.,]*)\s*(?:(?P<u2>{_UNIT_RE})\b|(?:rupiah|rp)\b)"
)
_DIGIT_WORDS = {"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6,
                "tujuh": 7, "delapan": 8, "sembilan": 9}  # fmt: skip
_WHOLE_WORDS = {"sepuluh": 10, "sebelas": 11, "seratus": 100}
_NUMBER_WORDS = [*_DIGIT_WORDS, *_WHOLE_WORDS, "belas", "puluh", "ratus", "ribu", "seribu",
                 "juta", "sejuta"]  # fmt: skip
_WORD_RUN = re.compile(r"\b(?:(?:" + "|".join(_NUMBER_WORDS) + r")\b\s*)+")


def _number(digits: str, has_unit: bool) -> float | None:
    """Read "25.000", "1,5", "1.500" the Indonesian way (dot or comma as thousands mark)."""
    digits = digits.rstrip(".,")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+[.,]00", digits):  # "25.000,00"
        digits = digits[:-3]
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits):
        return float(re.sub(r"[.,]", "", digits))
    if has_unit and re.fullmatch(r"\d+[.,]\d{1,2}", digits):
        return float(digits.replace(",", "."))
    return float(digits) if digits.isdigit() else None


def _words_to_int(words: list[str]) -> int:
    """["dua", "puluh", "lima", "ribu"] → 25000."""
    total = group = unit = 0
    for w in words:
        if w in _DIGIT_WORDS:
            group, unit = group + unit, _DIGIT_WORDS[w]
        elif w in _WHOLE_WORDS:
            group += unit + _WHOLE_WORDS[w]
            unit = 0
        elif w in ("belas", "puluh", "ratus"):
            group += unit + 10 if w == "belas" else unit * (10 if w == "puluh" else 100)
            unit = 0
        elif w in ("seribu", "sejuta"):
            total += 1_000 if w == "seribu" else 1_000_000
        else:  # ribu, juta
            total += ((group + unit) or 1) * (1_000 if w == "ribu" else 1_000_000)
            group = unit = 0
    return total + group + unit


def amount_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, rupiah) of every amount written with digits in lower-cased text."""
    out = []
    for m in _AMOUNT.finditer(text):
        unit = m["u1"] or m["u2"]
        value = _number(m["rp"] or m["num"], bool(unit))
        if value is not None:
            out.append((m.start(), m.end(), round(value * _UNITS.get(unit or "", 1))))
    return out


def parse_amount(text: str) -> int | None:
    """The first rupiah amount: "150rb" → 150000, "1,5jt" → 1500000, "Rp 25.000" → 25000."""
    low = _strip_accents(text or "").lower()
    if spans := amount_spans(low):
        return spans[0][2]
    # Spelled out, with a money word: "dua puluh lima ribu", "lima ratus rupiah".
    for m in _WORD_RUN.finditer(low):
        words = m[0].split()
        money = re.match(r"(rupiah|perak)\b", low[m.end() :])
        if (words[-1] in ("ribu", "juta", "seribu", "sejuta") or money) and len(words) > 1:
            return _words_to_int(words)
        if words[-1] in ("seribu", "sejuta") or money:
            return _words_to_int(words)
    return None


# Numbers that are not counts: RT/RW, times, dates, house numbers, ages.
_NOT_COUNT_BEFORE = re.compile(
    r"\b(?:rt|rw|jam|pukul|tanggal|tgl|no|nomor|nmr|ke|blok|gang|gg|tahun|thn|umur|usia|"
    r"dusun|kode|tiket)\s*$"
)
_DIGIT_RUN = re.compile(r"(?<![\w\-/:])(?<!\d[.,])\d{1,4}(?![\w\-/:]|[.,]\d)")
_COUNT_RUN = re.compile(
    r"\b("
    + "|".join([*_DIGIT_WORDS, "sepuluh", "sebelas", "selusin"])
    + r")\s+(?!"
    + "|".join(["belas", "puluh", "ratus", "ribu", "juta", "rb", "jt"])
    + r")\w"
)


def parse_quantity(text: str) -> int | None:
    """The count of items in a sales or order message: "laku 3 sokasi 150rb" → 3."""
    low = _strip_accents(text or "").lower()
    taken = [(s, e) for s, e, _ in amount_spans(low)]
    for m in _DIGIT_RUN.finditer(low):
        if any(s <= m.start() < e for s, e in taken) or _NOT_COUNT_BEFORE.search(low[: m.start()]):
            continue
        return int(m[0])
    if m := _COUNT_RUN.search(low):
        return {**_DIGIT_WORDS, "sepuluh": 10, "sebelas": 11, "selusin": 12}[m[1]]
    return None
