"""Reading what sellers type: a photo caption ("sokasi bundar 25rb") becomes a product's name,
price, unit and category; a sales report ("laku 3 sokasi 75rb", "terjual 5 bungkus 50 ribu")
becomes a quantity, an amount and the words that name the product, which are then matched
against the seller's own products (rapidfuzz). Pure functions: no database."""

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from balai.market.models import Category
from balai.nlu.normalise import amount_spans, parse_quantity

# Units as sellers write them, and the word the catalogue shows.
UNITS = {
    "buah": "buah", "bh": "buah", "pcs": "buah", "pc": "buah", "biji": "biji", "bj": "biji",
    "bungkus": "bungkus", "bks": "bungkus", "bgks": "bungkus", "pak": "pak", "pack": "pak",
    "kotak": "kotak", "dus": "dus", "box": "kotak", "botol": "botol", "btl": "botol",
    "kg": "kg", "kilo": "kg", "gram": "gram", "gr": "gram", "ons": "ons", "liter": "liter",
    "ltr": "liter", "lembar": "lembar", "lbr": "lembar", "pasang": "pasang", "set": "set",
    "lusin": "lusin", "porsi": "porsi", "ikat": "ikat", "sisir": "sisir", "ekor": "ekor",
    "potong": "potong", "ptg": "potong", "meter": "meter", "toples": "toples",
    "kantong": "kantong", "karung": "karung", "renteng": "renteng", "sachet": "sachet",
    "cup": "cup", "gelas": "gelas", "butir": "butir", "tray": "tray", "besek": "besek",
    "keranjang": "keranjang", "batang": "batang", "kodi": "kodi", "unit": "unit",
}  # fmt: skip

CATEGORY_WORDS = {
    Category.OFFERING: "canang banten dupa kwangen porosan sesajen sesajian upakara pejati "
    "ceper tamas bunga kembang janur",
    Category.CRAFT: "sokasi keben dulang bokor anyaman anyam bambu rotan pandan ate tas topi "
    "keranjang tikar kerajinan ukiran patung gerabah wadah tempat besek kipas",
    Category.FOOD: "keripik kripik kerupuk krupuk kue jajan jajanan dodol nasi sambal emping "
    "rengginang opak roti bolu lapis tempe tahu madu gula aren abon rendang pepes bakso "
    "camilan cemilan snack kacang klepon lontong ketupat pia brem",
    Category.DRINK: "kopi teh jamu es minuman sirup susu jus loloh wedang arak tuak",
    Category.CLOTHING: "kain batik tenun endek songket baju kaos kaus kemeja udeng kamen "
    "kebaya sarung selendang jilbab celana pakaian",
    Category.FARM: "beras sayur sayuran buah cabai cabe bawang jagung ketela singkong "
    "pisang salak jeruk manggis durian kelapa telur ayam bibit pupuk padi kopi-biji",
    Category.FISH: "ikan udang lele nila bandeng cumi kepiting rumput-laut teri gurame",
}
_CATEGORY_OF = {
    word: category for category, words in CATEGORY_WORDS.items() for word in words.split()
}

# Words around a price or a sale that name nothing.
_FILLER = """harga hrg hrga cuma hanya saja aja aj nego ready redi jual dijual jualan open order po
    murah promo diskon baru rp rupiah an tadi barusan hari ini kemarin kmrn kemaren sudah udah
    sdh total semua dapat dpt ada pembeli ambil catat lapor laporan penjualan seharga dengan
    sebanyak isi alhamdulillah bli mbak mas pak bu niki dina dinten sing wae mawon yang yg
    tolong mohon pesanan dari untuk utk buat per satunya masing sebiji
    sekitar kurang lebih sisa lagi"""
FILLER = set(_FILLER.split())
SALE_WORDS = {"laku", "lk", "terjual", "trjual", "kejual", "payu", "laris", "sold", "jual"}
# Sale words that count anywhere in a message, not only first ("tadi laku 3 sokasi").
SALE_WORDS_ANYWHERE = {"laku", "terjual", "trjual", "kejual", "payu"}
COUNT_WORDS = {"satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
               "sepuluh", "selusin"}  # fmt: skip
YESTERDAY = {"kemarin", "kmrn", "kemaren", "wingi", "dibi"}
_BARE_AMOUNT = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+|\d{4,9})(?![\w]|[.,]\d)")
_PER_UNIT = re.compile(r"^\s*(?:/\s*|per\s+|se)(?P<unit>[a-z]+)")
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)?")
NAME_MAX = 100


def money_spans(low: str) -> list[tuple[int, int, int]]:
    """Amounts in lower-cased text: with a unit or "Rp" ("25rb", "Rp 25.000"), else a bare
    number that can only be money ("25.000", "150000")."""
    spans = amount_spans(low)
    if spans:
        return spans
    out = []
    for m in _BARE_AMOUNT.finditer(low):
        value = int(m[1].replace(".", ""))
        if value >= 500:
            out.append((m.start(), m.end(), value))
    return out


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        out.append(text[last:start])
        last = max(last, end)
    out.append(text[last:])
    return " ".join(out)


def guess_category(name: str, default: str = Category.OTHER) -> str:
    for token in _tokens(name):
        if token in _CATEGORY_OF:
            return _CATEGORY_OF[token]
    return default


def tidy_name(text: str) -> str:
    """ "  sokasi   bundar, " → "Sokasi bundar": spaces, stray punctuation, first letter up."""
    text = re.sub(r"\s+", " ", text).strip(" -–—,.:;/@*_~|")
    text = re.sub(r"\s+([,.])", r"\1", text)
    if not text:
        return ""
    return (text[0].upper() + text[1:])[:NAME_MAX]


@dataclass
class Caption:
    name: str
    price: int | None
    unit: str
    description: str
    category: str


def parse_caption(caption: str, default_category: str = Category.OTHER) -> Caption:
    """ "Sokasi bundar 25rb" → name "Sokasi bundar", price 25000. The line with the price
    names the product; other lines become its description. "15rb/bungkus" or "per bungkus"
    sets the unit."""
    lines = [line.strip() for line in (caption or "").splitlines() if line.strip()]
    if not lines:
        return Caption("", None, "", "", default_category)
    index = next((i for i, line in enumerate(lines) if money_spans(line.lower())), 0)
    line = lines[index]
    low = line.lower()
    spans = money_spans(low)
    price = spans[0][2] if spans else None
    cut = [(s, e) for s, e, _ in spans[:1]]
    unit = ""
    if spans:
        after = _PER_UNIT.match(low[spans[0][1] :])
        if after and after["unit"] in UNITS:
            unit = UNITS[after["unit"]]
            cut.append((spans[0][1], spans[0][1] + after.end()))
    name = _cut(line, cut)
    # Leading or trailing filler ("harga", "cuma", "nego") around the price goes too.
    words = name.split()
    while words and words[-1].lower().strip(",.:;!") in FILLER:
        words.pop()
    while words and words[0].lower().strip(",.:;!") in FILLER | {"jual", "dijual"}:
        words.pop(0)
    name = tidy_name(" ".join(words))
    others = lines[:index] + lines[index + 1 :]
    if not name and others:  # "Sokasi tiga susun" on one line, "harga 150rb" on the next
        name, others = tidy_name(others[0]), others[1:]
    description = "\n".join(others).strip()
    return Caption(
        name=name,
        price=price,
        unit=unit,
        description=description[:2000],
        category=guess_category(f"{name} {description}", default_category),
    )


@dataclass
class SaleText:
    quantity: int
    amount: int | None
    per_unit: bool  # "3 @25rb": the amount is for one
    query: str  # the words left to name the product
    unit: str
    yesterday: bool

    def total(self, price: int | None) -> int | None:
        """The money received: as written, times the quantity for "@25rb", else the
        product's price times the quantity."""
        if self.amount is not None:
            return self.amount * self.quantity if self.per_unit else self.amount
        if price:
            return price * self.quantity
        return None


def is_sale(plain: str) -> bool:
    """ "laku 3 sokasi 75rb", "tadi terjual 2", "sokasi laku 3 biji"."""
    tokens = plain.split()
    if not tokens:
        return False
    return tokens[0] in SALE_WORDS or any(t in SALE_WORDS_ANYWHERE for t in tokens)


def parse_sale(text: str) -> SaleText:
    low = (text or "").lower()
    spans = money_spans(low)
    amount = spans[0][2] if spans else None
    per_unit = False
    if spans:
        start, end = spans[0][0], spans[0][1]
        before = low[:start].rstrip()
        per_unit = before.endswith("@") or bool(
            re.match(r"\s*(?:/\s*\w+|per\s+\w+|satunya|sebiji|masing)", low[end:])
        )
    without_money = _cut(low, [(s, e) for s, e, _ in spans])
    quantity = parse_quantity(without_money) or 1
    tokens = _tokens(without_money)
    unit = next((UNITS[t] for t in tokens if t in UNITS), "")
    counted = False
    query = []
    for token in tokens:
        if not counted and token.isdigit() and int(token) == quantity:
            counted = True
            continue
        if token in SALE_WORDS or token in FILLER or token in YESTERDAY or token in UNITS:
            continue
        if token.isdigit() or token in COUNT_WORDS:
            continue
        query.append(token)
    return SaleText(
        quantity=max(1, quantity),
        amount=amount,
        per_unit=per_unit,
        query=" ".join(query),
        unit=unit,
        yesterday=any(t in YESTERDAY for t in tokens),
    )


MATCH_CUTOFF = 70
CLEAR_SCORE = 85
CLEAR_MARGIN = 8


def match_products(query: str, products: list, *, limit: int = 9) -> list:
    """The products ``query`` may name, best first: one when it is clear ("sokasi bundar"
    among Sokasi bundar and Keben), several when it is not ("sokasi" among two sokasi),
    none when nothing is close."""
    query = utils.default_process(query or "")
    if not query or not products:
        return []
    names = [utils.default_process(p.name) for p in products]
    exact = [p for p, name in zip(products, names, strict=True) if name == query]
    if len(exact) == 1:
        return exact
    found = process.extract(
        query,
        names,
        scorer=fuzz.token_set_ratio,
        processor=None,
        limit=None,
        score_cutoff=MATCH_CUTOFF,
    )
    # Equal scores: the name that is closest as a whole string first.
    found.sort(key=lambda hit: (-hit[1], -fuzz.ratio(query, hit[0])))
    if not found:
        return []
    top = found[0][1]
    if top >= CLEAR_SCORE and (len(found) == 1 or top - found[1][1] >= CLEAR_MARGIN):
        return [products[found[0][2]]]
    return [products[index] for _name, _score, index in found[:limit]]


def product_for_sale(sale: SaleText, products: list) -> list:
    """Candidates for a sale: by name; without a name, the seller's only product, or the
    only product sold in the unit written ("terjual 5 bungkus")."""
    if sale.query:
        found = match_products(sale.query, products)
        if found:
            return found
    if len(products) == 1:
        return list(products)
    if sale.unit:
        same_unit = [p for p in products if p.unit == sale.unit]
        if len(same_unit) == 1:
            return same_unit
    return []
