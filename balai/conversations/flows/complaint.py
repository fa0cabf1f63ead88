"""Pengaduan dan aspirasi: kind, category, what happened, an optional photo and location,
whether the name may be shown publicly, confirm, get a ticket code."""

from balai.complaints.actions import do_submit_complaint
from balai.complaints.models import Category, Complaint
from balai.conversations import fields, texts
from balai.conversations import steps as s
from balai.conversations.fields import Invalid
from balai.conversations.form import Form
from balai.whatsapp import messages as build


class CategoryChoice(s.ChoiceStep):
    def options_for(self, turn, data):
        return [
            (c.slug, c.name, "")
            for c in Category.objects.filter(village=turn.village, is_active=True)
        ]


class LocationStep(s.Step):
    """A shared WhatsApp location, a typed place, or *lewati*."""

    def applies(self, turn, data):
        return data.get("kind") == Complaint.Kind.COMPLAINT

    def prompt(self, turn, data):
        return build.text(
            f"{self.question}\nKetuk 📎 lalu *Lokasi* untuk mengirim titik lokasi, atau ketik "
            "alamatnya. Ketik *lewati* bila tidak perlu."
        )

    def parse(self, turn, data):
        message = turn.message
        if message.type == "location":
            loc = message.message.get("location") or {}
            try:
                lat, lng = float(loc["latitude"]), float(loc["longitude"])
            except (KeyError, TypeError, ValueError):
                raise Invalid("Lokasi tidak terbaca. Kirim ulang, atau ketik alamatnya.") from None
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise Invalid("Lokasi tidak terbaca. Kirim ulang, atau ketik alamatnya.")
            label = " ".join(str(loc.get(k) or "") for k in ("name", "address")).strip()
            return {"lat": lat, "lng": lng, "text": label[:300]}
        text = s.require_text(turn)
        if s.words(text) in s.SKIP_WORDS:
            return {}
        return {"text": fields.parse_text(text, min_length=4, max_length=300)}

    def show(self, turn, value, data):
        if not value:
            return "tidak ada"
        if "lat" in value:
            return f"titik lokasi ({value['lat']:.5f}, {value['lng']:.5f}) {value['text']}".strip()
        return value["text"]


class ComplaintForm(Form):
    name = "complaint"
    title = "Pengaduan / aspirasi"
    fixed_steps = {"kind"}

    def steps(self, turn):
        return [
            s.ChoiceStep(
                key="kind",
                label="Jenis",
                question="Anda ingin menyampaikan apa?",
                options=[
                    (Complaint.Kind.COMPLAINT, "Pengaduan", "Ada masalah yang perlu ditangani"),
                    (Complaint.Kind.SUGGESTION, "Aspirasi/usulan", "Saran atau usulan"),
                ],
            ),
            CategoryChoice(
                key="category",
                label="Kategori",
                question="Tentang apa?",
                button="Pilih kategori",
            ),
            s.TextStep(
                key="description",
                label="Isi",
                question="Ceritakan apa yang terjadi atau apa usulan Anda.",
                hint="Tulis singkat dan jelas: apa, di mana, sejak kapan.",
                example="Lampu jalan di depan masjid RT 03 mati sejak seminggu.",
                min_length=10,
                max_length=4000,
            ),
            s.MediaStep(
                key="photo",
                label="Foto",
                question="Kirim foto kejadiannya bila ada.",
                example="foto jalan yang rusak",
                required=False,
                pdf_ok=False,
            ),
            LocationStep(key="location", label="Lokasi", question="Di mana lokasinya?"),
            s.YesNoStep(
                key="show_name",
                label="Nama ditampilkan",
                question="Bolehkah nama Anda ditampilkan di papan pengaduan desa? Bila "
                "dirahasiakan, hanya petugas yang tahu.",
                yes="Boleh",
                no="Rahasiakan",
            ),
        ]

    def submit(self, turn, data):
        category = Category.objects.filter(village=turn.village, slug=data["category"]).first()
        if category is None:
            turn.say(texts.FLOW_CHANGED)
            return
        location = data.get("location") or {}
        complaint = do_submit_complaint(
            resident=turn.resident,
            kind=data["kind"],
            category=category,
            description=data["description"],
            show_name=bool(data.get("show_name")),
            photo_id=data.get("photo") if isinstance(data.get("photo"), int) else None,
            latitude=location.get("lat"),
            longitude=location.get("lng"),
            location_text=location.get("text", ""),
        )
        kind = complaint.get_kind_display().lower()
        lines = [
            f"Terima kasih, Bapak/Ibu. {kind.capitalize()} Anda sudah kami terima.",
            f"Nomor tiket: *{complaint.code}*",
        ]
        if not turn.village.is_open(turn.now):
            lines.append(texts.when_staff_answer(turn.village, turn.now))
        lines.append(
            f"Kami akan mengabari Anda di sini bila ada perkembangan. Ketik *cek status* "
            f"atau nomor tiketnya untuk melihat {kind} Anda."
        )
        turn.say("\n".join(lines))
