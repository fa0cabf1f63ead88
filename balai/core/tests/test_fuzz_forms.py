"""Hostile input on every form of the console and the public pages: random, oversized,
unicode and garbage values, and hostile files on every upload field. The answer is a page
with errors or a redirect, never a 500, and no upload is kept under an extension a browser
would run (.svg, .html, .js, .exe).

The forms are found by rendering every page (``crawl.post_forms``), so a new form is fuzzed
without being listed here.
"""

import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from balai.core.tests import crawl
from balai.test import BaseTestCase
from balai.villages.roles import Role

FAST = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _chunk(b"IEND", b"")
    )


def png_1bit(width: int, height: int) -> bytes:
    """A valid black-and-white PNG: 12,000 × 12,000 is ~20 KB on disk, 432 MB as RGB."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = (b"\x00" + bytes((width + 7) // 8)) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def jpeg_bytes(size=(120, 90)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def zip_bomb() -> bytes:
    """An .xlsx-looking zip whose sheet inflates from ~30 KB to 30 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", "<workbook>" + " " * (30 * 1024 * 1024) + "</workbook>")
    return out.getvalue()


def hostile_files() -> dict[str, tuple[str, str, bytes]]:
    jpeg = jpeg_bytes()
    return {
        "oversized": ("besar.jpg", "image/jpeg", jpeg + b"\x00" * (12 * 1024 * 1024)),
        "empty": ("kosong.png", "image/png", b""),
        "wrong type": ("program.exe", "application/x-msdownload", b"MZ\x90\x00" + b"\x00" * 64),
        "png header on garbage": (
            "foto.png",
            "image/png",
            b"\x89PNG\r\n\x1a\n" + b"\xde\xad" * 500,
        ),
        "truncated jpeg": ("foto.jpg", "image/jpeg", jpeg[: len(jpeg) // 2]),
        "pdf that is not": ("surat.pdf", "application/pdf", b"%PDF-1.7\nnot really\n"),
        "decompression bomb": ("bom.png", "image/png", png_declaring(40_000, 40_000)),
        "large declared": ("besar.png", "image/png", png_declaring(10_000, 10_000)),
        "valid 144 MP": ("putih.png", "image/png", png_1bit(12_000, 12_000)),
        "svg with script": (
            "gambar.svg",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
        "html as image": ("foto.jpg", "image/jpeg", b"<html><script>alert(1)</script></html>"),
        "zip bomb": (
            "warga.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            zip_bomb(),
        ),
        "csv garbage": (
            "warga.csv",
            "text/csv",
            b"\xff\xfe\x00\x00" + "ñ,\x00,\u202e".encode() * 300,
        ),
    }


HOSTILE_TEXT = {
    "oversized": "x" * 20_000,
    "unicode and control": "Siti \u202eAminah\u200b 🙏 ــ \u0301\ufeff 𝓐 \x1b[31m\r\n\t\x7f",
    "nul byte": "abc\x00def",
    "number-ish": "-99999999999999999999999",
    "float-ish": "1e309",
    "date-ish": "2026-02-31",
    "markup, sql, path": "<script>alert(1)</script>{{ 7*7 }}'; DROP TABLE x; -- ../../etc/passwd",
    "empty": "",
}

DANGEROUS_SUFFIXES = {".svg", ".html", ".htm", ".js", ".exe", ".xhtml", ".xml"}


class FormsTestMixin:
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        client = Client()
        client.force_login(cls.staff[Role.KADES])
        found = crawl.post_forms(client, cls.village)
        # One form per target (the first page that shows it).
        cls.forms = sorted((forms[0] for forms in found.values()), key=lambda f: f.action)

    def post(self, form, values, files=None):
        if not hasattr(self, "kades"):
            self.kades = Client()
            self.kades.force_login(self.staff[Role.KADES])
        data = {**form.fields, **values, **(files or {})}
        response = self.kades.post(form.action, data)
        self.assertLess(
            response.status_code, 500, f"{form.action} with {sorted(values)} {list(files or {})}"
        )
        return response


class HostileFormsTest(FormsTestMixin, BaseTestCase):
    def test_forms_were_found(self):
        self.assertGreater(len(self.forms), 30)
        self.assertGreaterEqual(len([f for f in self.forms if f.files]), 5, "upload fields")

    def test_every_form_takes_hostile_text(self):
        for form in self.forms:
            names = [*form.fields]
            for kind, value in HOSTILE_TEXT.items():
                with self.subTest(action=form.action, kind=kind):
                    self.post(form, dict.fromkeys(names, value))
            with self.subTest(action=form.action, kind="list of values"):
                self.post(form, {name: ["1", "x" * 300, ""] for name in names})

    def test_every_upload_field_takes_hostile_files(self):
        started = time.time()
        for form in self.forms:
            for field in form.files:
                for kind, (name, content_type, data) in hostile_files().items():
                    with self.subTest(action=form.action, field=field, kind=kind):
                        upload = SimpleUploadedFile(name, data, content_type=content_type)
                        self.post(form, {}, {field: upload})
        kept = [
            path
            for path in Path(django_settings.MEDIA_ROOT).rglob("*")
            if path.is_file()
            and path.stat().st_mtime >= started - 1
            and path.suffix.lower() in DANGEROUS_SUFFIXES
        ]
        self.assertEqual(kept, [], "uploads kept under an extension a browser would run")


class FuzzFormsTest(FormsTestMixin, HypothesisTestCase, BaseTestCase):
    values = st.one_of(
        st.text(max_size=200),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.dates().map(str),
        st.binary(max_size=50).map(lambda b: b.decode("latin-1")),
        st.sampled_from(list(HOSTILE_TEXT.values())),
    )

    @FAST
    @given(data=st.data())
    def test_random_values_in_random_forms(self, data):
        form = data.draw(st.sampled_from(self.forms), label="form")
        names = [*form.fields, *form.choices]
        chosen = data.draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([]))
        values = {name: data.draw(self.values, label=name) for name in chosen}
        self.post(form, values)

    @FAST
    @given(data=st.data())
    def test_random_bytes_as_uploads(self, data):
        uploads = [(f, n) for f in self.forms for n in f.files]
        form, field = data.draw(st.sampled_from(uploads), label="upload field")
        name = data.draw(st.sampled_from(["a.jpg", "a.png", "a.pdf", "a.csv", "a.xlsx", "a"]))
        raw = data.draw(st.binary(max_size=2000))
        self.post(form, {}, {field: SimpleUploadedFile(name, raw)})
