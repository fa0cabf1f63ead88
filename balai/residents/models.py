from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from balai.lib.codes import new_code
from balai.lib.crypto import EncryptedCharField, lookup_hash
from balai.residents.identity import mask_identity, mask_phone
from balai.villages.models import Area, Village


class ResidentQuerySet(models.QuerySet):
    def for_village(self, village):
        return self.filter(village=village)

    def with_nik(self, nik: str):
        return self.filter(nik_hash=lookup_hash(nik))

    def search(self, text: str):
        """Name or phone contains ``text``; a 16-digit text finds the NIK by its hash."""
        text = text.strip()
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 16 and digits == text.replace(" ", ""):
            return self.filter(Q(nik_hash=lookup_hash(digits)) | Q(kk_hash=lookup_hash(digits)))
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
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

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
