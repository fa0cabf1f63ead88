import pytest

from balai.nlu.normalise import normalise, parse_amount, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sy mw bkin srt domisili gmn y", "saya mau bikin surat domisili bagaimana ya"),
        ("udh jadi blm surat sy?", "sudah jadi belum surat saya"),
        (
            "sdh tdk jg dgn utk untk tlg kpn bsk skrg brp",
            "sudah tidak juga dengan untuk untuk tolong kapan besok sekarang berapa",
        ),
        ("gk ga gak nggak", "tidak tidak tidak tidak"),
        ("pengen mo mw", "mau mau mau"),
        ("gmna", "bagaimana"),
        ("makasihhhh", "terima kasih"),
        ("maaaaf pakk", "maaf pak"),
        ("saat ini maaf", "saat ini maaf"),
        ("tungguuu", "tunggu"),
        ("halooo kak 😂😂!!!", "halo kak"),
        ("PPP", "p"),
        ("HALO PAK KADES", "halo pak kepala desa"),
        ("jam 2an", "jam 2"),
        ("surat-surat, surat2", "surat surat"),
        ("e-ktp", "ektp"),
        ("Assalamu'alaikum wr wb", "assalamualaikum warahmatullahi wabarakatuh"),
        ("𝗵𝗮𝗹𝗼", "halo"),
        ("cek PDK-2611-0042 ya", "cek pdk-2611-0042 ya"),
        ("Rp 25.000, 1,5jt.", "rp 25.000 1,5jt"),
        ("lihat https://example.com/x ya", "lihat ya"),
        ("", ""),
        ("🙏🙏", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    ["suksma", "matur nuwun", "hatur nuhun", "nuhun", "punten", "sampurasun", "om swastiastu",
     "horas", "tabik"],
)  # fmt: skip
def test_regional_words_are_kept(text):
    assert normalise(text) == text


def test_regional_spellings_are_unified():
    assert normalise("maturnuwun") == "matur nuwun"
    assert normalise("haturnuhun") == "hatur nuhun"
    assert normalise("mksh") == normalise("makasih") == normalise("trimakasih") == "terima kasih"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("150rb", 150_000),
        ("laku 3 sokasi 150rb", 150_000),
        ("1,5jt", 1_500_000),
        ("1.5 jt", 1_500_000),
        ("Rp 25.000", 25_000),
        ("Rp25.000,-", 25_000),
        ("rp 25.000,00", 25_000),
        ("25 ribu", 25_000),
        ("sokasi bundar 25rb", 25_000),
        ("25k", 25_000),
        ("2 juta", 2_000_000),
        ("total 3.200.000 rupiah", 3_200_000),
        ("dua puluh lima ribu", 25_000),
        ("seratus lima puluh ribu rupiah", 150_000),
        ("satu juta lima ratus ribu", 1_500_000),
        ("sejuta", 1_000_000),
        ("lima belas ribu", 15_000),
        ("lampu jalan mati di rt 3", None),
        ("laku 3 sokasi", None),
        ("jam 8 buka", None),
        ("PDK-2611-0042", None),
        ("", None),
    ],
)
def test_parse_amount(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("laku 3 sokasi 150rb", 3),
        ("hari ini terjual 5", 5),
        ("terjual 10 bungkus keripik", 10),
        ("penjualan 150rb", None),
        ("tadi laku lima sokasi", 5),
        ("lampu mati di rt 3", None),
        ("jam 8", None),
        ("PDK-2611-0042", None),
        ("", None),
    ],
)
def test_parse_quantity(text, quantity):
    assert parse_quantity(text) == quantity
