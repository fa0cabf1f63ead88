"""The letter types every village starts with (staff can edit them per village).

Each type lists the documents to attach and the extra fields the resident fills in; the
identity fields (NIK, name, birth date) are asked for every letter by the conversation.
Field kinds: text, number, date, choice, amount (see balai.conversations.fields).
"""

KTP = {"key": "ktp", "label": "Foto KTP", "required": True}
KK = {"key": "kk", "label": "Foto Kartu Keluarga (KK)", "required": True}
PENGANTAR = {"key": "pengantar", "label": "Surat pengantar RT/RW", "required": True}


def _keperluan(example: str) -> dict:
    return {
        "key": "keperluan",
        "label": "Keperluan",
        "prompt": "Surat ini untuk keperluan apa?",
        "kind": "text",
        "example": example,
    }


DEFAULT_LETTER_TYPES = [
    {
        "slug": "domisili",
        "classification_code": "470",
        "name": "Surat Keterangan Domisili",
        "keyword": "DOMISILI",
        "summary": "Menerangkan bahwa Anda tinggal di desa ini.",
        "days": 2,
        "documents": [KTP, KK, PENGANTAR],
        "fields": [
            {
                "key": "alamat",
                "label": "Alamat tinggal",
                "prompt": "Di mana alamat tinggal Anda sekarang (dusun, RT/RW)?",
                "kind": "text",
                "example": "Dusun Krajan RT 02/RW 01",
            },
            _keperluan("melamar pekerjaan"),
        ],
    },
    {
        "slug": "sktm",
        "classification_code": "460",
        "name": "Surat Keterangan Tidak Mampu (SKTM)",
        "keyword": "SKTM",
        "summary": "Untuk keringanan biaya sekolah, berobat, atau bantuan.",
        "days": 3,
        "head_of_family_only": True,
        "documents": [KTP, KK, PENGANTAR],
        "fields": [
            _keperluan("keringanan biaya sekolah anak"),
            {
                "key": "penghasilan",
                "label": "Penghasilan keluarga per bulan",
                "prompt": "Berapa kira-kira penghasilan keluarga Anda per bulan?",
                "kind": "amount",
                "example": "1,5 juta atau 1500000",
            },
        ],
    },
    {
        "slug": "usaha",
        "classification_code": "500",
        "name": "Surat Keterangan Usaha",
        "keyword": "USAHA",
        "summary": "Menerangkan bahwa Anda memiliki usaha, mis. untuk pinjaman KUR.",
        "days": 2,
        "documents": [
            KTP,
            KK,
            {"key": "foto_usaha", "label": "Foto tempat usaha", "required": False},
        ],
        "fields": [
            {
                "key": "nama_usaha",
                "label": "Nama dan jenis usaha",
                "prompt": "Apa nama dan jenis usaha Anda?",
                "kind": "text",
                "example": "Warung Sembako Bu Siti",
            },
            {
                "key": "alamat_usaha",
                "label": "Alamat usaha",
                "prompt": "Di mana alamat tempat usaha Anda?",
                "kind": "text",
                "example": "Jl. Raya Pondok No. 5, RT 01",
            },
            _keperluan("pengajuan pinjaman KUR"),
        ],
    },
    {
        "slug": "skck",
        "classification_code": "331",
        "name": "Surat Pengantar SKCK",
        "keyword": "SKCK",
        "summary": "Pengantar dari desa untuk membuat SKCK di kepolisian.",
        "days": 1,
        "documents": [KTP, KK, PENGANTAR],
        "fields": [_keperluan("melamar pekerjaan")],
    },
    {
        "slug": "kelahiran",
        "classification_code": "474.1",
        "name": "Surat Keterangan Kelahiran",
        "keyword": "KELAHIRAN",
        "summary": "Untuk mengurus akta kelahiran anak.",
        "days": 3,
        "documents": [
            KK,
            {"key": "ktp_ortu", "label": "Foto KTP ayah dan ibu", "required": True},
            {"key": "ket_lahir", "label": "Surat keterangan lahir dari bidan/RS", "required": True},
            {"key": "buku_nikah", "label": "Foto buku nikah", "required": False},
        ],
        "fields": [
            {
                "key": "nama_bayi",
                "label": "Nama anak",
                "prompt": "Siapa nama lengkap anak yang lahir?",
                "kind": "text",
                "example": "Ahmad Fauzi",
            },
            {
                "key": "jenis_kelamin",
                "label": "Jenis kelamin anak",
                "prompt": "Apa jenis kelamin anak?",
                "kind": "choice",
                "choices": ["Laki-laki", "Perempuan"],
            },
            {
                "key": "tanggal_lahir",
                "label": "Tanggal lahir anak",
                "prompt": "Tanggal berapa anak lahir?",
                "kind": "date",
                "past": True,
                "example": "17-08-2026",
            },
            {
                "key": "tempat_lahir",
                "label": "Tempat lahir",
                "prompt": "Di mana anak lahir (rumah, puskesmas, rumah sakit)?",
                "kind": "text",
                "example": "Puskesmas Pondok",
            },
            {
                "key": "hubungan_pelapor",
                "label": "Hubungan pelapor",
                "prompt": "Apa hubungan Anda dengan anak tersebut?",
                "kind": "choice",
                "choices": ["Ayah", "Ibu", "Keluarga lain"],
            },
        ],
    },
    {
        "slug": "kematian",
        "classification_code": "474.3",
        "name": "Surat Keterangan Kematian",
        "keyword": "KEMATIAN",
        "summary": "Untuk melaporkan warga yang meninggal dunia.",
        "days": 2,
        "documents": [
            {"key": "ktp_almarhum", "label": "Foto KTP almarhum/almarhumah", "required": True},
            KK,
            {"key": "ket_rs", "label": "Surat keterangan dari dokter/RS", "required": False},
        ],
        "fields": [
            {
                "key": "nama_almarhum",
                "label": "Nama almarhum/almarhumah",
                "prompt": "Siapa nama lengkap almarhum/almarhumah?",
                "kind": "text",
                "example": "Sutrisno",
            },
            {
                "key": "tanggal_meninggal",
                "label": "Tanggal meninggal",
                "prompt": "Tanggal berapa beliau meninggal?",
                "kind": "date",
                "past": True,
                "example": "03-11-2026",
            },
            {
                "key": "tempat_meninggal",
                "label": "Tempat meninggal",
                "prompt": "Di mana beliau meninggal?",
                "kind": "text",
                "example": "Di rumah, Dusun Krajan",
            },
            {
                "key": "hubungan_pelapor",
                "label": "Hubungan pelapor",
                "prompt": "Apa hubungan Anda dengan almarhum/almarhumah?",
                "kind": "choice",
                "choices": ["Anak", "Suami/Istri", "Orang tua", "Saudara", "Lainnya"],
            },
        ],
    },
    {
        "slug": "pindah",
        "classification_code": "475",
        "name": "Surat Keterangan Pindah",
        "keyword": "PINDAH",
        "summary": "Untuk warga yang pindah ke luar desa.",
        "days": 3,
        "documents": [KTP, KK, PENGANTAR],
        "fields": [
            {
                "key": "alamat_tujuan",
                "label": "Alamat tujuan",
                "prompt": "Ke mana alamat tujuan pindah (desa, kecamatan, kabupaten)?",
                "kind": "text",
                "example": "Desa Sukamaju, Kec. Cibadak, Kab. Sukabumi",
            },
            {
                "key": "alasan",
                "label": "Alasan pindah",
                "prompt": "Apa alasan pindah?",
                "kind": "choice",
                "choices": ["Pekerjaan", "Pendidikan", "Keluarga", "Lainnya"],
            },
            {
                "key": "jumlah_pengikut",
                "label": "Anggota keluarga yang ikut",
                "prompt": "Berapa anggota keluarga yang ikut pindah? Ketik 0 bila sendiri.",
                "kind": "number",
                "max": 20,
                "example": "2",
            },
        ],
    },
    {
        "slug": "ktp",
        "classification_code": "471.1",
        "name": "Surat Pengantar KTP",
        "keyword": "KTP",
        "summary": "Pengantar untuk membuat atau mengganti KTP-el di Disdukcapil.",
        "days": 1,
        "documents": [KK, PENGANTAR],
        "fields": [
            {
                "key": "jenis",
                "label": "Jenis permohonan",
                "prompt": "KTP-el untuk apa?",
                "kind": "choice",
                "choices": ["Baru", "Rusak", "Hilang", "Perubahan data"],
            }
        ],
    },
    {
        "slug": "kk",
        "classification_code": "471.2",
        "name": "Surat Pengantar Kartu Keluarga",
        "keyword": "KK",
        "summary": "Pengantar untuk membuat, memecah, atau mengubah KK.",
        "days": 2,
        "documents": [
            {"key": "kk", "label": "Foto KK lama", "required": True},
            KTP,
            {"key": "buku_nikah", "label": "Foto buku nikah", "required": False},
        ],
        "fields": [
            {
                "key": "jenis",
                "label": "Jenis permohonan",
                "prompt": "KK untuk apa?",
                "kind": "choice",
                "choices": [
                    "KK baru",
                    "Pecah KK",
                    "Tambah anggota",
                    "Perubahan data",
                    "Hilang/rusak",
                ],
            }
        ],
    },
    {
        "slug": "belum_menikah",
        "classification_code": "474.2",
        "name": "Surat Keterangan Belum Menikah",
        "keyword": "BELUMNIKAH",
        "summary": "Menerangkan bahwa Anda belum pernah menikah.",
        "days": 2,
        "documents": [KTP, KK, PENGANTAR],
        "fields": [_keperluan("melamar pekerjaan")],
    },
    {
        "slug": "kehilangan",
        "classification_code": "331",
        "name": "Surat Pengantar Kehilangan",
        "keyword": "HILANG",
        "summary": "Pengantar untuk melapor kehilangan ke kepolisian.",
        "days": 1,
        "documents": [{"key": "ktp", "label": "Foto KTP", "required": False}, KK],
        "fields": [
            {
                "key": "barang",
                "label": "Barang yang hilang",
                "prompt": "Barang atau dokumen apa yang hilang?",
                "kind": "text",
                "example": "Dompet berisi KTP dan SIM",
            },
            {
                "key": "tanggal_hilang",
                "label": "Tanggal hilang",
                "prompt": "Kira-kira tanggal berapa hilangnya?",
                "kind": "date",
                "past": True,
                "example": "20-11-2026",
            },
            {
                "key": "tempat_hilang",
                "label": "Tempat hilang",
                "prompt": "Di mana kira-kira hilangnya?",
                "kind": "text",
                "example": "Pasar Pondok",
            },
        ],
    },
    {
        "slug": "keramaian",
        "classification_code": "331",
        "name": "Surat Pengantar Izin Keramaian",
        "keyword": "KERAMAIAN",
        "summary": "Untuk hajatan, pesta, atau acara yang mengundang banyak orang.",
        "days": 3,
        "documents": [KTP, PENGANTAR],
        "fields": [
            {
                "key": "acara",
                "label": "Nama acara",
                "prompt": "Acara apa yang akan diadakan?",
                "kind": "text",
                "example": "Resepsi pernikahan",
            },
            {
                "key": "tanggal_acara",
                "label": "Tanggal acara",
                "prompt": "Tanggal berapa acaranya?",
                "kind": "date",
                "future": True,
                "example": "12-12-2026",
            },
            {
                "key": "tempat_acara",
                "label": "Tempat acara",
                "prompt": "Di mana tempat acaranya?",
                "kind": "text",
                "example": "Rumah sendiri, Dusun Krajan RT 03",
            },
            {
                "key": "jumlah_tamu",
                "label": "Perkiraan jumlah tamu",
                "prompt": "Berapa kira-kira jumlah tamu?",
                "kind": "number",
                "max": 100000,
                "example": "300",
            },
        ],
    },
]

DEFAULT_REQUIREMENTS = (
    "Bawa atau kirim foto dokumen yang diminta. Surat diproses pada jam kerja kantor desa."
)


def default_letter_types(model, village, have: set[str]) -> list:
    """Unsaved ``model`` rows for the default types ``village`` lacks (by slug). ``model`` is
    the real LetterType or a migration's historical one, so both seed the same way."""
    return [
        model(
            village=village,
            slug=spec["slug"],
            name=spec["name"],
            keyword=spec["keyword"],
            summary=spec.get("summary", ""),
            requirements=DEFAULT_REQUIREMENTS,
            documents=spec.get("documents", []),
            fields=spec.get("fields", []),
            head_of_family_only=spec.get("head_of_family_only", False),
            days=spec.get("days", 3),
            position=position,
        )
        for position, spec in enumerate(DEFAULT_LETTER_TYPES)
        if spec["slug"] not in have
    ]
