"""Village news and WhatsApp announcements.

- ``Topic``: what residents subscribe to (umum, kesehatan/posyandu, bantuan sosial, …),
  editable per village; ``Subscription``: one resident, one topic, with the area their news
  is for and the exact opt-in text they were shown; ``ConsentLog``: every subscribe and
  unsubscribe, append-only (Meta requires opt-in for templates; UU PDP requires consent
  that can be shown later).
- ``Announcement``: written once by staff; it becomes a public news post, a social-media
  card and caption, and (through a ``Broadcast``) a WhatsApp message to its audience.
- ``Broadcast``, ``Recipient``, ``Pump``: the paced, crash-safe send (see ``sending.py``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from balai.lib.codes import new_code
from balai.residents.models import Resident
from balai.villages.models import Area, Village
from balai.whatsapp.models import OutboundMessage, Template, WhatsAppNumber

# A WhatsApp list row title is at most 24 characters; "✓ " is put in front of chosen topics.
TOPIC_NAME_MAX = 22
# A list shows at most 10 rows: the topics and "Selesai".
TOPICS_ACTIVE_MAX = 9


class Topic(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="news_topics")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    slug = models.SlugField(max_length=40)
    name = models.CharField("nama", max_length=TOPIC_NAME_MAX)
    description = models.CharField(
        "keterangan", max_length=72, blank=True, help_text="Tampil di bawah nama topik di WhatsApp."
    )
    keywords = models.CharField(
        "kata kunci",
        max_length=300,
        blank=True,
        help_text="Dipisah koma. Warga yang mengetik “langganan posyandu” masuk ke topik yang "
        "punya kata kunci posyandu.",
    )
    is_emergency = models.BooleanField(
        "darurat",
        default=False,
        help_text="Pengumuman darurat dikirim lebih dulu dan memakai seluruh kecepatan nomor.",
    )
    is_default = models.BooleanField(
        "otomatis",
        default=False,
        help_text="Warga yang hanya mengetik “langganan” langsung menerima topik ini.",
    )
    is_active = models.BooleanField("aktif", default=True)
    position = models.PositiveSmallIntegerField("urutan", default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["village", "slug"], name="news_topic_slug_per_village")
        ]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class SubscriptionQuerySet(models.QuerySet):
    def in_areas(self, areas):
        """Subscriptions whose area (or, when they chose none, their register area) is one
        of ``areas`` (already expanded to descendants)."""
        return self.filter(Q(area__in=areas) | Q(area__isnull=True, resident__area__in=areas))


class Subscription(models.Model):
    """One resident receives one topic's news. The row exists exactly while they do."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="news_subscriptions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    # The area the resident wants news for; empty = their area in the register, if any.
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True)
    opt_in_text = models.TextField(help_text="The text the resident was shown when they agreed")
    via = models.CharField(max_length=20, default="whatsapp")
    created = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resident", "topic"], name="news_subscription_once")
        ]
        indexes = [models.Index(fields=["topic", "resident"], name="news_sub_topic")]

    def __str__(self) -> str:
        return f"{self.resident} → {self.topic}"


class ConsentLog(models.Model):
    """Append-only evidence: who subscribed to or left which topics, when, seeing what."""

    class Action(models.TextChoices):
        SUBSCRIBE = "subscribe", "berlangganan"
        UNSUBSCRIBE = "unsubscribe", "berhenti"
        AREA = "area", "ganti wilayah"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=12, choices=Action.choices)
    topics = models.CharField(max_length=500)
    text = models.TextField(blank=True, help_text="What the resident was shown or wrote")
    via = models.CharField(max_length=20, default="whatsapp")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.resident_id} {self.action} {self.topics}"


class MessagingLimit(models.IntegerChoices):
    """Meta's messaging limit: unique users reached outside a customer-service window in a
    moving 24 hours, per business portfolio (reference/whatsapp.md §0, §3.4)."""

    TIER_250 = 250, "250 pengguna / 24 jam (portofolio baru)"
    TIER_2K = 2000, "2.000 pengguna / 24 jam"
    TIER_10K = 10000, "10.000 pengguna / 24 jam"
    TIER_100K = 100000, "100.000 pengguna / 24 jam"
    UNLIMITED = 0, "Tanpa batas"


class NewsSettings(models.Model):
    """A village's rules for announcements (set by the sekdes or kades)."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="news_settings")
    approval_threshold = models.PositiveIntegerField(
        "perlu persetujuan bila penerima lebih dari",
        default=100,
        help_text="Pengumuman ke lebih banyak warga dari angka ini harus disetujui sekretaris "
        "desa atau kepala desa sebelum dikirim.",
    )
    messaging_limit = models.PositiveIntegerField(
        "batas pesan Meta untuk nomor ini",
        choices=MessagingLimit.choices,
        default=MessagingLimit.TIER_250,
        help_text="Lihat di WhatsApp Manager. Dihitung per 24 jam: warga berbeda yang "
        "dikirimi templat (di luar jendela 24 jam).",
    )
    normal_share = models.PositiveSmallIntegerField(
        "kecepatan pengumuman biasa (% kecepatan nomor)",
        default=90,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text="Sisanya untuk balasan percakapan warga selama pengiriman. Pengumuman "
        "darurat selalu memakai 100%.",
    )
    rate_marketing = models.DecimalField(
        "tarif templat marketing (Rp)", max_digits=9, decimal_places=2, null=True, blank=True
    )
    rate_utility = models.DecimalField(
        "tarif templat utility (Rp)", max_digits=9, decimal_places=2, null=True, blank=True
    )
    rate_authentication = models.DecimalField(
        "tarif templat authentication (Rp)",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "pengaturan pengumuman"
        verbose_name_plural = "pengaturan pengumuman"

    def __str__(self) -> str:
        return f"Pengaturan pengumuman {self.village}"

    def rate_for(self, category: str):
        return getattr(self, f"rate_{category}", None)

    @classmethod
    def of(cls, village) -> "NewsSettings":
        return cls.objects.get_or_create(village=village)[0]


def upload_to(instance, filename: str) -> str:
    return f"announcements/{timezone.now():%Y/%m}/{new_code(16)}-{filename[-60:]}"


class AnnouncementQuerySet(models.QuerySet):
    def public(self):
        return self.filter(published_at__isnull=False, hidden=False)


class Announcement(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draf"
        PENDING = "pending", "Menunggu persetujuan"
        SENDING = "sending", "Sedang dikirim"
        SENT = "sent", "Terkirim"
        CANCELLED = "cancelled", "Dibatalkan"
        PUBLISHED = "published", "Terbit di web"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="announcements")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField("judul", max_length=120)
    body = models.TextField("isi", max_length=3000)
    image = models.FileField("gambar", upload_to=upload_to, blank=True)
    attachment = models.FileField("lampiran PDF", upload_to=upload_to, blank=True)
    attachment_name = models.CharField(max_length=120, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="announcements")
    # The audience: subscribers of these topics (or of any topic) and the consenting
    # participants of these programmes, narrowed to these areas when any are chosen.
    audience_all = models.BooleanField("semua pelanggan", default=False)
    audience_topics = models.ManyToManyField(Topic, blank=True, related_name="+")
    audience_areas = models.ManyToManyField(Area, blank=True, related_name="+")
    audience_programmes = models.ManyToManyField(
        "programmes.Programme", blank=True, related_name="+"
    )
    template = models.ForeignKey(
        Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField("catatan pemeriksa", blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField("disembunyikan dari web", default=False)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(
                fields=["village", "-published_at"],
                condition=Q(published_at__isnull=False, hidden=False),
                name="news_public_latest",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.state in {self.State.DRAFT, self.State.PENDING, self.State.PUBLISHED}

    @property
    def is_public(self) -> bool:
        return self.published_at is not None and not self.hidden

    @property
    def is_emergency(self) -> bool:
        return self.topic.is_emergency


class Broadcast(models.Model):
    """The WhatsApp send of one announcement: its recipients, pace and state."""

    class State(models.TextChoices):
        RUNNING = "running", "berjalan"
        PAUSED = "paused", "dijeda"
        FINISHED = "finished", "selesai"
        CANCELLED = "cancelled", "dibatalkan"

    announcement = models.OneToOneField(
        Announcement, on_delete=models.CASCADE, related_name="broadcast"
    )
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    number = models.ForeignKey(WhatsAppNumber, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    emergency = models.BooleanField(default=False)
    share = models.PositiveSmallIntegerField(default=100, help_text="% of the number's speed")
    # What goes out: the free-form message inside the 24-hour window, and the template
    # (with its parameters' values) outside it.
    free_kind = models.CharField(max_length=10)
    free_body = models.JSONField()
    template = models.ForeignKey(
        Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    template_values = models.JSONField(default=dict, blank=True)
    # Recipients are written in batches by resident id; ``cursor`` is the last id written.
    cursor = models.BigIntegerField(default=0)
    materialized = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["number", "state"], name="news_broadcast_running")]

    def __str__(self) -> str:
        return f"{self.announcement} ({self.state})"

    @property
    def pace(self) -> float:
        """Messages per second this broadcast may use."""
        return self.number.throughput_per_second * (1.0 if self.emergency else self.share / 100)


class Recipient(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "menunggu giliran"
        RELEASED = "released", "masuk antrean kirim"
        SKIPPED = "skipped", "dilewati"
        WITHDRAWN = "withdrawn", "dibatalkan"

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Set in the same transaction that queues the message: one outbox row per recipient.
    outbound = models.OneToOneField(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via_template = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=100, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "resident"], name="news_recipient_once")
        ]
        indexes = [
            models.Index(
                fields=["broadcast", "id"],
                condition=Q(state="pending"),
                name="news_recipient_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.state}"


class Pump(models.Model):
    """Pacing state of one sending number, shared by every worker: one chain of pump tasks
    per number releases recipients of its running broadcasts (``sending.pump``)."""

    number = models.OneToOneField(
        WhatsAppNumber, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    chain = models.PositiveIntegerField(default=0)
    ticked_at = models.FloatField(default=0, help_text="Unix time of the last tick (0: stopped)")
    lease_until = models.FloatField(default=0)
    credit = models.FloatField(default=0, help_text="Messages earned but not yet released")

    def __str__(self) -> str:
        return f"pump {self.number_id} chain {self.chain}"
