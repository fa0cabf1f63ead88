import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from balai.lib.codes import new_code
from balai.lib.crypto import EncryptedCharField, lookup_hash, lookup_hashes
from balai.residents.identity import mask_identity, mask_phone
from balai.villages.models import Area, Village


class ResidentQuerySet(models.QuerySet):
    def for_village(self, village):
        return self.filter(village=village)

    def with_nik(self, nik: str):
        # Every key's hash: between adding a new key and `balai rotate_keys` finishing, a
        # row may still carry the hash under the old one.
        return self.filter(nik_hash__in=lookup_hashes(nik))

    def search(self, text: str):
        """Name or phone contains ``text``; a 16-digit text finds the NIK by its hash."""
        text = text.strip()
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 16 and digits == text.replace(" ", ""):
            hashes = lookup_hashes(digits)
            return self.filter(Q(nik_hash__in=hashes) | Q(kk_hash__in=hashes))
        query = Q(name__icontains=text)
        if len(digits) >= 4:
            query |= Q(phone__contains=digits)
        # Ordered by UPPER(name) so PostgreSQL takes the trigram index (migration 0004)
        # instead of walking the name btree in order and filtering (100k residents:
        # 145 → 20 ms); the order is the same for readers.
        return self.filter(query).order_by(Upper("name"), "id")


class Resident(models.Model):
    """A person known to one village: from the register, or first met on WhatsApp."""

    class Gender(models.TextChoices):
        MALE = "L", "Laki-laki"
        FEMALE = "P", "Perempuan"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="residents")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField("nama", max_length=150)
    # E.164, e.g. +6281234567890. Empty for WhatsApp users who arrive with only a
    # business-scoped user id (usernames, 2026).
    phone = models.CharField("nomor HP", max_length=20, blank=True)
    wa_user_id = models.CharField("WhatsApp BSUID", max_length=140, blank=True)
    nik = EncryptedCharField("NIK", blank=True)
    nik_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    kk = EncryptedCharField("nomor KK", blank=True)
    kk_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    gender = models.CharField("jenis kelamin", max_length=1, choices=Gender.choices, blank=True)
    birth_place = models.CharField("tempat lahir", max_length=100, blank=True)
    birth_date = models.DateField("tanggal lahir", null=True, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name="wilayah",
    )
    address = models.CharField("alamat", max_length=250, blank=True)
    occupation = models.CharField("pekerjaan", max_length=100, blank=True)
    is_head_of_family = models.BooleanField("kepala keluarga", default=False)
    # Register entries are checked by staff; people first met on WhatsApp are not, until
    # staff compare their details with the register.
    is_verified = models.BooleanField("data sudah diperiksa", default=False)
    # Set when the person's data was erased on their request (balai.residents.privacy): the
    # row stays, anonymised, because issued letters' register entries point at it.
    erased_at = models.DateTimeField("data dihapus", null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    # Keyed lookup hashes and the encrypted field each follows: `balai rotate_keys`
    # recomputes them under the new first key.
    lookup_hash_fields = {"nik_hash": "nik", "kk_hash": "kk"}

    class Meta:
        ordering = ["name"]
        verbose_name = "warga"
        verbose_name_plural = "warga"
        indexes = [
            # The register lists by name; the verification queue lists the unverified newest
            # first (make bench-console, 100k residents: 105 → 9 ms and 73 → 2 ms).
            models.Index(fields=["village", "name"], name="resident_by_name"),
            models.Index(
                fields=["village", "-created", "-id"],
                condition=Q(is_verified=False),
                name="resident_unverified",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "phone"],
                condition=~Q(phone=""),
                name="resident_phone_unique_in_village",
            ),
            models.UniqueConstraint(
                fields=["village", "wa_user_id"],
                condition=~Q(wa_user_id=""),
                name="resident_bsuid_unique_in_village",
            ),
            models.UniqueConstraint(
                fields=["village", "nik_hash"],
                condition=~Q(nik_hash=""),
                name="resident_nik_unique_in_village",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The keyed hashes follow the encrypted values so lookups never need decryption.
        self.nik_hash = lookup_hash(self.nik) if self.nik else ""
        self.kk_hash = lookup_hash(self.kk) if self.kk else ""
        if kwargs.get("update_fields") is not None:
            fields = set(kwargs["update_fields"])
            if "nik" in fields:
                fields.add("nik_hash")
            if "kk" in fields:
                fields.add("kk_hash")
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    @property
    def nik_masked(self) -> str:
        return mask_identity(self.nik)

    @property
    def kk_masked(self) -> str:
        return mask_identity(self.kk)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class DataRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state__in=DataRequest.PENDING_STATES)


class DataRequest(models.Model):
    """A resident's request under UU PDP 27/2022: a copy of their data, or its erasure.

    Received on WhatsApp (``data saya``) or at the office, answered by staff within
    ``RESPONSE_HOURS`` (3 × 24 hours), every step told to the resident
    (balai.residents.privacy)."""

    RESPONSE_HOURS = 72

    class Kind(models.TextChoices):
        EXPORT = "export", "Salinan data"
        ERASURE = "erasure", "Penghapusan data"

    class State(models.TextChoices):
        RECEIVED = "received", "Diterima"
        PROCESSING = "processing", "Sedang disiapkan"
        DONE = "done", "Selesai"
        REFUSED = "refused", "Ditolak"

    PENDING_STATES = [State.RECEIVED, State.PROCESSING]

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="data_requests")
    code = models.CharField("nomor tiket", max_length=20, unique=True)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="data_requests")
    kind = models.CharField("jenis", max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED)
    via = models.CharField("diterima lewat", max_length=20, default="whatsapp")
    received_at = models.DateTimeField("diterima")
    due_at = models.DateTimeField("batas jawab")
    decided_at = models.DateTimeField("diputuskan", null=True, blank=True)
    done_at = models.DateTimeField("selesai", null=True, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="petugas",
    )
    note = models.TextField("catatan", blank=True)
    # The export (zip: data.json, the readable PDF, the files the resident sent) and its
    # PDF alone (sent as the WhatsApp document); both behind signed, expiring links.
    export_file = models.FileField(upload_to="privacy/%Y/%m/", blank=True)
    summary_file = models.FileField(upload_to="privacy/%Y/%m/", blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = "permintaan data pribadi"
        verbose_name_plural = "permintaan data pribadi"
        indexes = [models.Index(fields=["village", "state", "due_at"], name="data_request_queue")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"

    @staticmethod
    def due_from(received: dt.datetime) -> dt.datetime:
        return received + dt.timedelta(hours=DataRequest.RESPONSE_HOURS)

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING_STATES

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.is_pending and now > self.due_at
