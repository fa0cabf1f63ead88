import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from balai.lib.codes import new_code
from balai.villages.roles import Role, role_can

WEEKDAYS = ["senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu"]


class TimeZone(models.TextChoices):
    WIB = "Asia/Jakarta", "WIB (UTC+7)"
    WITA = "Asia/Makassar", "WITA (UTC+8)"
    WIT = "Asia/Jayapura", "WIT (UTC+9)"


def default_office_hours() -> dict:
    hours = {day: [["08:00", "15:00"]] for day in WEEKDAYS[:4]}
    hours["jumat"] = [["08:00", "11:00"]]
    hours["sabtu"] = []
    hours["minggu"] = []
    return hours


def validate_office_hours(value) -> None:
    if not isinstance(value, dict) or set(value) - set(WEEKDAYS):
        raise ValidationError("Jam kantor harus berisi hari senin sampai minggu.")
    for day, spans in value.items():
        for span in spans:
            try:
                start, end = (dt.time.fromisoformat(t) for t in span)
            except (TypeError, ValueError):
                raise ValidationError(f"Jam kantor {day} tidak valid: {span!r}") from None
            if start >= end:
                raise ValidationError(f"Jam kantor {day}: jam buka harus sebelum jam tutup.")


class VillageQuerySet(models.QuerySet):
    def for_user(self, user):
        """Villages this user works in (platform operators: all of them)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(memberships__user=user, memberships__is_active=True).distinct()


class Village(models.Model):
    class Kind(models.TextChoices):
        DESA = "desa", "Desa"
        KELURAHAN = "kelurahan", "Kelurahan"

    slug = models.SlugField(unique=True, help_text="Dipakai di alamat halaman, mis. 'pondok'.")
    official_code = models.CharField(
        "kode wilayah", max_length=13, unique=True, help_text="Kode Kemendagri, mis. 33.10.12.2005"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DESA)
    name = models.CharField("nama", max_length=100)
    kecamatan = models.CharField(max_length=100)
    kabupaten = models.CharField(max_length=100)
    provinsi = models.CharField(max_length=100)
    timezone = models.CharField(
        "zona waktu", max_length=20, choices=TimeZone.choices, default=TimeZone.WIB
    )
    address = models.TextField("alamat kantor", blank=True)
    postal_code = models.CharField("kode pos", max_length=5, blank=True)
    office_hours = models.JSONField(
        "jam kantor", default=default_office_hours, validators=[validate_office_hours]
    )
    logo = models.FileField(upload_to="logos/", blank=True)
    letterhead = models.TextField(
        "kop surat", blank=True, help_text="Satu baris per baris kop surat."
    )
    phone = models.CharField("telepon kantor", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    ticket_prefix = models.CharField(
        "awalan nomor tiket",
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2,5}$", "Dua sampai lima huruf besar, mis. PDK.")],
        help_text="Mis. PDK → tiket PDK-2611-0042. Kosong = tiga huruf pertama nama desa.",
    )
    session_idle_hours = models.PositiveSmallIntegerField(
        "sesi WhatsApp berakhir setelah (jam)",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(48)],
    )
    handoff_hours = models.PositiveSmallIntegerField(
        "bot diam menunggu petugas paling lama (jam)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )
    approval_chain = models.CharField(
        "alur persetujuan surat",
        max_length=30,
        default="operator-sekdes-kades",
        choices=[
            ("operator-sekdes-kades", "Operator → Sekretaris desa → Kepala desa"),
            ("operator-kades", "Operator → Kepala desa"),
            ("operator-kasi-sekdes-kades", "Operator → Kasi pelayanan → Sekdes → Kepala desa"),
        ],
        help_text="Siapa memeriksa dan menandatangani permohonan surat, berurutan.",
    )
    deliver_on_whatsapp = models.BooleanField(
        "kirim surat jadi lewat WhatsApp",
        default=True,
        help_text="Bila tidak, warga diberi tahu surat siap diambil di kantor desa.",
    )
    public_complaints = models.BooleanField(
        "tampilkan papan aduan publik",
        default=False,
        help_text="Aduan yang sudah diperiksa tampil di halaman publik desa, tanpa nama "
        "kecuali warga mengizinkan.",
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = VillageQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "desa"
        verbose_name_plural = "desa"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def tz_label(self) -> str:
        return self.get_timezone_display().split()[0]

    def local_now(self) -> dt.datetime:
        return timezone.now().astimezone(self.tz)

    @property
    def prefix(self) -> str:
        letters = "".join(c for c in self.name.upper() if "A" <= c <= "Z")
        return self.ticket_prefix or (letters[:3] or "DES")

    def next_ticket_code(self, at: dt.datetime | None = None) -> str:
        """PDK-2611-0042: prefix, year and month in village time, and a monthly sequence
        shared by letter requests and complaints, so a code alone finds either."""
        from balai.core.models import next_number

        period = (at or timezone.now()).astimezone(self.tz).strftime("%y%m")
        return f"{self.prefix}-{period}-{next_number(f'ticket:{self.pk}:{period}'):04d}"

    def letterhead_lines(self) -> list[str]:
        return [line.strip() for line in self.letterhead.splitlines() if line.strip()]

    def hours_on(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        """Opening spans on a local date; none on holidays."""
        if self.holidays.filter(date=day).exists():
            return []
        spans = self.office_hours.get(WEEKDAYS[day.weekday()], [])
        return [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in spans]

    def is_open(self, at: dt.datetime | None = None) -> bool:
        local = (at or timezone.now()).astimezone(self.tz)
        return any(a <= local.time() < b for a, b in self.hours_on(local.date()))

    def next_opening(self, at: dt.datetime | None = None) -> dt.datetime | None:
        """The next moment the office opens (aware, village time), within two weeks."""
        local = (at or timezone.now()).astimezone(self.tz)
        for offset in range(15):
            day = local.date() + dt.timedelta(days=offset)
            for start, _end in self.hours_on(day):
                opening = dt.datetime.combine(day, start, tzinfo=self.tz)
                if opening > local:
                    return opening
        return None


class Holiday(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField("tanggal")
    name = models.CharField("keterangan", max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["village", "date"], name="one_holiday_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class Area(models.Model):
    """Dusun → RW → RT. Villages that use only dusun/RT skip a level."""

    class Kind(models.TextChoices):
        DUSUN = "dusun", "Dusun"
        RW = "rw", "RW"
        RT = "rt", "RT"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    name = models.CharField("nama", max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        parts, node = [], self
        while node is not None:
            parts.append(
                f"{node.get_kind_display()} {node.name}"
                if node.kind != "dusun"
                else f"Dusun {node.name}"
            )
            node = node.parent
        return ", ".join(parts)

    def clean(self):
        if self.parent and self.parent.village_id != self.village_id:
            raise ValidationError("Wilayah induk harus di desa yang sama.")
        order = {"dusun": 0, "rw": 1, "rt": 2}
        if self.parent and order[self.parent.kind] >= order[self.kind]:
            raise ValidationError("Urutan wilayah: dusun → RW → RT.")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="memberships")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    role = models.CharField("peran", max_length=20, choices=Role.choices)
    title = models.CharField(
        "jabatan",
        max_length=100,
        blank=True,
        help_text="Mis. 'Kaur Umum' atau 'Mahasiswa KKN Undiksha 2026'.",
    )
    is_active = models.BooleanField(default=True)
    # Staff who opt in hear on WhatsApp when a request waits for their step.
    whatsapp_phone = models.CharField("nomor WhatsApp", max_length=20, blank=True)
    notify_whatsapp = models.BooleanField("kabari saya lewat WhatsApp", default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "village"], name="one_role_per_village"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} {self.village.name}"

    def can(self, capability: str) -> bool:
        return self.is_active and role_can(self.role, capability)


class AuditEvent(models.Model):
    """Append-only record of sensitive actions (who saw or changed what, and when)."""

    village = models.ForeignKey(
        Village, on_delete=models.CASCADE, related_name="audit_events", null=True, blank=True
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50, blank=True)
    object_code = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class Faq(models.Model):
    """A question residents often ask, answered by staff; the bot offers it on WhatsApp."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="faqs")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    question = models.CharField("pertanyaan", max_length=200)
    answer = models.TextField("jawaban", max_length=3000)
    position = models.PositiveSmallIntegerField("urutan", default=0)
    is_active = models.BooleanField("tampil", default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "tanya jawab"
        verbose_name_plural = "tanya jawab"

    def __str__(self) -> str:
        return self.question
