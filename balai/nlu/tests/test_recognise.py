import dataclasses
import time

import numpy as np
import pytest
from scipy import sparse

from balai.nlu import CONFIDENT, Understanding, understand
from balai.nlu.evaluation import held_out
from balai.nlu.letter_types import LETTER_TYPES
from balai.nlu.normalise import normalise
from balai.nlu.recognise import INTENTS, TEST_FILE, TRAIN_FILE, features, model, read_tsv


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("assalamualaikum pak", "greeting"),
        ("P", "greeting"),
        ("om swastiastu", "greeting"),
        ("selamat pagi bu", "greeting"),
        ("sampurasun", "greeting"),
        ("menu", "menu"),
        ("bisa apa aja", "menu"),
        ("daftar layanan", "menu"),
        ("sy mw bkin srt domisili gmn y", "letter_request"),
        ("mau ngurus sktm", "letter_request"),
        ("syarat skck apa aja", "requirements_info"),
        ("biaya bikin surat domisili berapa", "requirements_info"),
        ("udh jadi blm surat sy?", "status_check"),
        ("PDK-2611-0042", "status_check"),
        ("cek status pengajuan", "status_check"),
        ("lampu jalan mati di rt 3", "complaint"),
        ("sampah numpuk ga diangkut", "complaint"),
        ("kantor desa buka jam brp", "office_info"),
        ("alamat kantor desa dimana", "office_info"),
        ("mau ngomong sama petugas", "handoff"),
        ("gak jadi", "cancel"),
        ("batal", "cancel"),
        ("suksma", "thanks"),
        ("matur nuwun", "thanks"),
        ("hatur nuhun", "thanks"),
        ("ok makasih", "thanks"),
        ("ada jual sokasi?", "catalog"),
        ("katalog produk", "catalog"),
        ("mau beli kerajinan", "catalog"),
        ("laku 3 sokasi 150rb", "sales_report"),
        ("hari ini terjual 5", "sales_report"),
        ("penjualan bulan ini 2jt", "sales_report"),
        ("mau langganan info", "subscribe"),
        ("mau dapat info posyandu", "subscribe"),
        ("berhenti", "unsubscribe"),
        ("jangan kirim lagi", "unsubscribe"),
        ("harga cabai berapa", "unknown"),
        ("asdfgh", "unknown"),
        ("😂😂", "unknown"),
        ("", "unknown"),
    ],
)
def test_intent(text, intent):
    assert understand(text).intent == intent


def test_every_intent_is_exercised():
    intents = {intent for _, intent, _ in read_tsv(TRAIN_FILE)}
    assert intents == set(INTENTS) == {intent for _, intent, _ in read_tsv(TEST_FILE)}


@pytest.mark.parametrize(
    ("text", "letter_type"),
    [
        ("mau bikin surat domisli", "domisili"),
        ("sk domisili", "domisili"),
        ("mau bikin surat tidak mampu", "sktm"),
        ("surat keterangan miskin buat berobat", "sktm"),
        ("mau bikin sku", "usaha"),
        ("surat usaha buat bank", "usaha"),
        ("pengantar catatan kepolisian", "skck"),
        ("akta lahir anak", "kelahiran"),
        ("surat meninggal bapak saya", "kematian"),
        ("mau pindahan, minta suratnya", "pindah"),
        ("mau rekam e-ktp", "ktp"),
        ("mau pecah kk", "kk"),
        ("kartu keluarga baru", "kk"),
        ("surat keterangan belum kawin", "belum_menikah"),
        ("surat lajang", "belum_menikah"),
        ("dompet saya hilang, minta surat kehilangan", "kehilangan"),
        ("surat kehilangan ktp", "kehilangan"),
        ("izin keramaian buat hajatan", "keramaian"),
        ("mau bikin surat izin pesta", "keramaian"),
        ("syarat sktm apa aja", "sktm"),
        ("lampu jalan mati di rt 3", None),
        ("matikan notifikasi", None),
    ],
)
def test_letter_type(text, letter_type):
    assert understand(text).letter_type == letter_type


def test_letter_types_are_all_in_the_data():
    assert {lt for _, _, lt in read_tsv(TEST_FILE) if lt} == set(LETTER_TYPES)


def test_tricky_messages_from_the_issue():
    u = understand("sy mw bkin srt domisili gmn y")
    assert (u.intent, u.letter_type) == ("letter_request", "domisili")
    assert u.normalised == "saya mau bikin surat domisili bagaimana ya"
    u = understand("laku 3 sokasi 150rb")
    assert (u.intent, u.amount, u.quantity) == ("sales_report", 150_000, 3)
    assert understand("lampu jalan mati di rt 3").quantity is None


def test_understanding_shape():
    u = understand("mau bikin sktm")
    assert isinstance(u, Understanding) and u.text == "mau bikin sktm"
    assert 0 <= u.confidence <= 1 and u.confidence == u.candidates[0][1]
    assert len(u.candidates) >= 3 and u.candidates[0][0] == u.intent
    assert [s for _, s in u.candidates] == sorted((s for _, s in u.candidates), reverse=True)
    assert all(intent in INTENTS for intent, _ in u.candidates)
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.intent = "menu"
    assert 0 < CONFIDENT < 1


def test_long_text():
    text = ("jalan rusak parah tolong diperbaiki 😡 " * 120)[:4000]
    start = time.perf_counter()
    u = understand(text)
    assert time.perf_counter() - start < 0.5
    assert u.intent == "complaint" and u.text == text


def test_deterministic():
    texts = [t for t, _, _ in read_tsv(TEST_FILE)[::10]]
    first = [understand(t) for t in texts]
    model.cache_clear()  # retrain from scratch: same data, same model
    assert [understand(t) for t in texts] == first


def test_fast_path_matches_scikit_learn():
    m = model()
    pairs = [features(normalise(t), t) for t, _, _ in read_tsv(TEST_FILE)[:40]]
    x = sparse.hstack([vec.transform([p[i] for p in pairs]) for i, vec in enumerate(m.vectorisers)])
    expected = m.classifier.decision_function(x.tocsr())
    assert np.allclose([m.decision(p) for p in pairs], expected)


def test_held_out_accuracy():
    report = held_out()
    assert report.test_size >= 300 and report.train_size + report.test_size >= 800
    assert report.accuracy >= 0.95, report.summary()
    assert report.letter_accuracy >= 0.9, report.summary()
