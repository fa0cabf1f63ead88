"""How a village's posters look: two colours and one line of text, set by staff."""

from django.core.validators import RegexValidator
from django.db import models

from balai.villages.models import Village

DEFAULT_PRIMARY = "#0b6e4f"  # the console's green
DEFAULT_ACCENT = "#f2a900"
DEFAULT_TAGLINE = "Tanpa antre, cukup dari rumah"

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Tulis warna sebagai # dan enam angka/huruf heksadesimal, mis. #0b6e4f."
)


class PosterStyle(models.Model):
    """One per village, created the first time staff save it; until then the defaults
    apply (``PosterStyle.for_village``)."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="poster_style")
    primary = models.CharField(
        "warna utama", max_length=7, default=DEFAULT_PRIMARY, validators=[hex_colour]
    )
    accent = models.CharField(
        "warna aksen", max_length=7, default=DEFAULT_ACCENT, validators=[hex_colour]
    )
    tagline = models.CharField("kalimat ajakan", max_length=80, blank=True, default=DEFAULT_TAGLINE)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "gaya poster"
        verbose_name_plural = "gaya poster"

    def __str__(self) -> str:
        return f"Gaya poster {self.village}"

    @classmethod
    def for_village(cls, village: Village) -> "PosterStyle":
        """The saved style, or an unsaved one with the defaults (reading never writes)."""
        return cls.objects.filter(village=village).first() or cls(village=village)
