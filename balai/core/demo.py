"""Demo data: two villages with staff for every role, hamlets and RTs, and residents.

Idempotent: running it again changes nothing. Later features add their own demo data by
extending ``seed``.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from balai.core.wa_templates import STANDARD_TEMPLATES
from balai.residents.models import Resident
from balai.villages.actions import do_add_staff
from balai.villages.models import Area, Faq, Holiday, Village
from balai.villages.roles import Role
from balai.whatsapp.models import Template, WhatsAppNumber

DEMO_PASSWORD = "balai-demo-2026"

VILLAGES = [
    {
        "slug": "pondok",
        "ticket_prefix": "PDK",
        "public_complaints": True,
        "official_code": "33.11.02.2010",
        "name": "Pondok",
        "kecamatan": "Nguter",
        "kabupaten": "Sukoharjo",
        "provinsi": "Jawa Tengah",
        "timezone": "Asia/Jakarta",
        "address": "Jl. Raya Pondok No. 1, Nguter, Sukoharjo",
        "postal_code": "57571",
        "phone": "0271-590001",
        "letterhead": "PEMERINTAH KABUPATEN SUKOHARJO\nKECAMATAN NGUTER\n"
        "KANTOR KEPALA DESA PONDOK\nJl. Raya Pondok No. 1, Nguter, Sukoharjo 57571",
        "nik_region": "331102",
        # The ids in Meta's documented example payload (reference/whatsapp.md §1.4).
        "whatsapp": {
            "phone_number_id": "106540352242922",
            "display_number": "15550783881",
            "waba_id": "102290129340398",
        },
        "dusun": {
            "Krajan": ["001", "002", "003"],
            "Ngasem": ["004", "005"],
            "Kedungwungu": ["006", "007"],
        },
        "staff": [
            ("operator.pondok", "Dewi Lestari", Role.OPERATOR, "Operator Desa"),
            ("kasi.pondok", "Agus Santoso", Role.KASI_PELAYANAN, "Kasi Pelayanan"),
            ("sekdes.pondok", "Sri Wahyuni", Role.SEKDES, "Sekretaris Desa"),
            ("kades.pondok", "Rajimin", Role.KADES, "Kepala Desa"),
            (
                "pendamping.pondok",
                "Wahyu Setia Budi",
                Role.PENDAMPING,
                "Mahasiswa KKN Tim II UNDIP",
            ),
            ("dpl.pondok", "Dr. Retno Hapsari", Role.DPL, "DPL KKN UNDIP"),
        ],
    },
    {
        "slug": "tigawasa",
        "ticket_prefix": "TGW",
        "official_code": "51.08.05.2012",
        "name": "Tigawasa",
        "kecamatan": "Banjar",
        "kabupaten": "Buleleng",
        "provinsi": "Bali",
        "timezone": "Asia/Makassar",
        "address": "Jl. Raya Tigawasa, Banjar, Buleleng",
        "postal_code": "81152",
        "phone": "0362-92001",
        "letterhead": "PEMERINTAH KABUPATEN BULELENG\nKECAMATAN BANJAR\nKANTOR PERBEKEL TIGAWASA\n"
        "Jl. Raya Tigawasa, Banjar, Buleleng 81152",
        "nik_region": "510805",
        "whatsapp": {
            "phone_number_id": "106540352242923",
            "display_number": "15550783882",
            "waba_id": "102290129340399",
        },
        "dusun": {
            "Dauh Pura": ["001", "002"],
            "Dangin Pura": ["003", "004"],
            "Asah Panji": ["005"],
        },
        "staff": [
            ("operator.tigawasa", "Ni Kadek Ayu Suryani", Role.OPERATOR, "Operator Desa"),
            ("kasi.tigawasa", "I Made Sudarma", Role.KASI_PELAYANAN, "Kasi Pelayanan"),
            ("sekdes.tigawasa", "Ni Luh Putu Ariani", Role.SEKDES, "Sekretaris Desa"),
            ("kades.tigawasa", "I Nyoman Sukerta", Role.KADES, "Perbekel"),
            (
                "pendamping.tigawasa",
                "Ketut Wira Pratama",
                Role.PENDAMPING,
                "Mahasiswa KKN Undiksha",
            ),
            ("dpl.tigawasa", "Dr. I Gede Arya Wibawa", Role.DPL, "DPL KKN Undiksha"),
        ],
    },
]

JAVANESE = {
    "L": [
        "Budi Santoso",
        "Slamet Riyadi",
        "Joko Purnomo",
        "Sutrisno",
        "Bambang Wijaya",
        "Eko Prasetyo",
        "Hadi Susanto",
        "Teguh Wibowo",
        "Sugeng Raharjo",
        "Yanto Saputro",
        "Wahyudi",
        "Supriyadi",
        "Darmaji",
        "Mulyono",
        "Rudi Hartono",
    ],
    "P": [
        "Siti Aminah",
        "Sri Rahayu",
        "Endang Susilowati",
        "Sumarni",
        "Tri Wulandari",
        "Suparmi",
        "Yuliani",
        "Ngatini",
        "Rini Astuti",
        "Kartini",
        "Sulastri",
        "Wartini",
        "Dwi Lestari",
        "Murni",
        "Painem",
    ],
}
BALINESE = {
    "L": [
        "I Wayan Sudiarta",
        "I Made Budiasa",
        "I Nyoman Sutama",
        "I Ketut Suparta",
        "I Putu Gede Arsana",
        "I Kadek Darmawan",
        "I Komang Ariawan",
        "I Gede Suardana",
        "I Wayan Mertayasa",
        "I Made Sukadana",
        "I Nengah Wirata",
        "I Ketut Sadra",
    ],
    "P": [
        "Ni Wayan Sukarmi",
        "Ni Made Sriani",
        "Ni Nyoman Suartini",
        "Ni Ketut Rusmini",
        "Ni Putu Ayu Lestari",
        "Ni Kadek Sintya",
        "Ni Komang Ariani",
        "Ni Luh Sekar",
        "Ni Wayan Rasmini",
        "Ni Made Darmini",
        "Ni Nengah Suci",
        "Ni Ketut Warsini",
    ],
}
OCCUPATIONS = [
    "Petani",
    "Pedagang",
    "Perajin bambu",
    "Buruh harian lepas",
    "Wiraswasta",
    "Ibu rumah tangga",
    "Guru",
    "Pelajar/Mahasiswa",
    "Peternak",
]


FAQS = [
    (
        "Apakah mengurus surat di desa dipungut biaya?",
        "Tidak. Semua surat keterangan dan surat pengantar dari desa gratis.",
    ),
    (
        "Bagaimana cara mendaftar bantuan sosial (bansos)?",
        "Pendaftaran lewat musyawarah desa dan data DTKS. Silakan sampaikan lewat menu "
        "Pengaduan/aspirasi kategori Bantuan sosial, atau datang ke kantor desa.",
    ),
    (
        "Kapan jadwal posyandu?",
        "Posyandu balita diadakan setiap tanggal 10 di setiap dusun, pukul 08.00-11.00.",
    ),
]


def demo_nik(region: str, birth: dt.date, female: bool, serial: int) -> str:
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@transaction.atomic
def seed(stdout=None) -> list[Village]:
    rng = random.Random(20261124)
    villages = []
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            "admin",
            "admin@balai.invalid",
            DEMO_PASSWORD,
            first_name="Operator",
            last_name="Platform",
        )
    for spec in VILLAGES:
        fields = {
            k: v
            for k, v in spec.items()
            if k not in {"slug", "nik_region", "dusun", "staff", "whatsapp"}
        }
        village, created = Village.objects.get_or_create(slug=spec["slug"], defaults=fields)
        villages.append(village)
        if not created:
            continue
        WhatsAppNumber.objects.create(
            village=village,
            verified_name=f"Desa {village.name}",
            is_simulated=True,
            **spec["whatsapp"],
        )
        for t in STANDARD_TEMPLATES:
            Template.objects.create(
                village=village,
                name=t.name,
                language=t.language,
                purpose=t.purpose,
                category=t.category,
                status=Template.Status.APPROVED,
                body=t.body,
                parameters=list(t.parameters),
            )
        for position, (question, answer) in enumerate(FAQS):
            Faq.objects.create(village=village, question=question, answer=answer, position=position)
        Holiday.objects.create(village=village, date=dt.date(2026, 12, 25), name="Hari Natal")
        Holiday.objects.create(village=village, date=dt.date(2027, 1, 1), name="Tahun Baru")
        rts = []
        for dusun_name, rt_names in spec["dusun"].items():
            dusun = Area.objects.create(village=village, kind="dusun", name=dusun_name)
            for rt in rt_names:
                rts.append(Area.objects.create(village=village, kind="rt", name=rt, parent=dusun))
        for username, full_name, role, title in spec["staff"]:
            do_add_staff(
                village,
                username=username,
                full_name=full_name,
                role=role,
                password=DEMO_PASSWORD,
                title=title,
            )
        names = BALINESE if spec["provinsi"] == "Bali" else JAVANESE
        serial = 1
        for gender, people in names.items():
            for name in people:
                birth = dt.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
                area = rng.choice(rts)
                Resident.objects.create(
                    village=village,
                    name=name,
                    gender=gender,
                    phone=f"+628{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}",
                    nik=demo_nik(spec["nik_region"], birth, gender == "P", serial),
                    kk=f"{spec['nik_region']}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}"
                    f"{rng.randint(10, 24):02d}{rng.randint(1, 9999):04d}",
                    birth_date=birth,
                    birth_place=spec["kabupaten"],
                    area=area,
                    address=f"{area.label}",
                    occupation=rng.choice(OCCUPATIONS),
                    is_head_of_family=gender == "L" or serial % 5 == 0,
                    is_verified=True,
                )
                serial += 1
        seed_services(village, rng)
        seed_programmes(village, rng)
        seed_market(village, rng)
        seed_history(village)
        seed_news(village)
        seed_followup(village)
        seed_outcomes(village)
        seed_data_requests(village)
    return villages


QUICK_REPLIES = [
    ("Salam", "Selamat siang, Bapak/Ibu. Kami dari kantor desa. Ada yang bisa kami bantu?"),
    (
        "Jam pelayanan",
        "Kantor desa melayani Senin–Kamis pukul 08.00–15.00 dan Jumat pukul 08.00–11.00.",
    ),
    ("Penutup", "Terima kasih, Bapak/Ibu. Bila ada yang lain, silakan kirim pesan lagi."),
]


def seed_history(village: Village) -> None:
    """Six months of finished requests and complaints for the transparency board."""
    from balai.public.demo import seed_transparency_history

    seed_transparency_history(village, months=6)


def seed_news(village: Village) -> None:
    """Topics, subscribers, one sent announcement and one waiting for approval."""
    from balai.announcements.demo import seed_announcements

    seed_announcements(village)


def seed_market(village: Village, rng: random.Random) -> None:
    """Sellers (Tigawasa's are the programme's craft makers), products, sales, counts."""
    from balai.market.demo import seed_market as seed

    seed(village, rng)


def seed_data_requests(village: Village) -> None:
    """A resident's request for a copy of their data, waiting 30 hours (UU PDP)."""
    from balai.residents.demo import seed_data_requests as seed

    seed(village)


def seed_outcomes(village: Village) -> None:
    """Indicators with baselines and targets on the demo programmes (after their data)."""
    from balai.outcomes.demo import seed_outcomes as seed

    seed(village)


def seed_followup(village: Village) -> None:
    """A finished programme with months of follow-up check-ins (after the market's sales)."""
    from balai.programmes.demo import seed_followup as seed

    seed(village)


def seed_programmes(village: Village, rng: random.Random) -> None:
    from balai.programmes.demo import seed_programmes as seed

    seed(village, rng)


def seed_services(village: Village, rng: random.Random) -> None:
    """Requests at every stage, complaints and quick replies, so the console has a day's
    work to show. Nothing is sent: demo residents have no WhatsApp conversation yet."""
    from django.utils import timezone

    from balai.complaints.models import Category, Complaint, ComplaintEvent
    from balai.conversations.models import QuickReply
    from balai.letters.models import LetterRequest, LetterType, RequestEvent

    for position, (title, text) in enumerate(QUICK_REPLIES):
        QuickReply.objects.create(village=village, title=title, text=text, position=position)
    people = list(village.residents.order_by("pk")[:8])
    now = timezone.now()
    plan = [
        ("domisili", "submitted", 0, 0, {"alamat": "RT 01", "keperluan": "melamar pekerjaan"}),
        ("usaha", "submitted", 0, 1, {"nama_usaha": "Warung sembako", "alamat_usaha": "RT 02",
                                      "keperluan": "pengajuan KUR"}),
        ("sktm", "in_review", 1, 2, {"keperluan": "keringanan biaya sekolah",
                                     "penghasilan": 1200000}),
        ("skck", "awaiting_signature", 2, 3, {"keperluan": "melamar pekerjaan"}),
        ("belum_menikah", "needs_info", 0, 5, {"keperluan": "melamar pekerjaan"}),
        ("domisili", "submitted", 0, 6, {"alamat": "RT 03", "keperluan": "membuka rekening"}),
    ]  # fmt: skip
    for slug, state, stage, days_ago, answers in plan:
        letter_type = LetterType.objects.get(village=village, slug=slug)
        person = people[len(LetterRequest.objects.filter(village=village)) % len(people)]
        submitted = now - dt.timedelta(days=days_ago, hours=rng.randint(1, 6))
        request = LetterRequest.objects.create(
            village=village,
            code=village.next_ticket_code(submitted),
            letter_type=letter_type,
            resident=person,
            contact=person,
            identity="matched",
            answers=answers,
            state=state,
            stage=stage,
            submitted_at=submitted,
            due_date=letter_type.due_date(submitted.astimezone(village.tz).date()),
        )
        RequestEvent.objects.create(request=request, state="submitted", created=submitted)
        if state == "needs_info":
            RequestEvent.objects.create(
                request=request,
                state=state,
                action="need_info",
                note="Foto KTP kurang jelas, mohon kirim ulang.",
                created=submitted + dt.timedelta(hours=2),
            )
    for slug, text, days_ago in [
        ("jalan", "Jalan di depan SD berlubang besar, bahaya untuk anak-anak.", 1),
        ("lampu", "Lampu jalan di pertigaan masjid mati sejak seminggu.", 3),
        ("sampah", "Sampah menumpuk di dekat jembatan, belum diangkut.", 0),
    ]:
        submitted = now - dt.timedelta(days=days_ago, hours=2)
        complaint = Complaint.objects.create(
            village=village,
            code=village.next_ticket_code(submitted),
            category=Category.objects.get(village=village, slug=slug),
            description=text,
            resident=rng.choice(people),
            show_name=False,
            submitted_at=submitted,
            # Older reports have been looked at for the public board; today's has not.
            moderated_at=submitted + dt.timedelta(hours=3) if days_ago else None,
        )
        ComplaintEvent.objects.create(complaint=complaint, state="received", created=submitted)
