"""The cover's QR code a phone can use (issue 12, line 8): read back from the rendered page with a
maintained decoder (zxing-cpp), it is the URL of the platform's public lookup page whose fragment
carries the signed claim. Offline, the institution's public key alone checks the claim and shows
number, serial, conclusion and validity; an altered fragment or a moved address is refused. Online,
the reference platform (real HTTP on loopback) serves the page at that URL with the status, which
follows a revocation. The old ``JDC1|…`` text of certificates issued before still verifies."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import httpx
import pytest
import zxingcpp

from bench.accounts import demo_account
from bench.cert_verify import export_keys, keys_from_store, verify_pdf, verify_qr
from bench.certificates import Certificates
from bench.cli import main
from bench.signing import parse_qr
from bench.store import Store
from bench.store.db import documents_dir
from bench.store.models import Run
from bench.sync_worker import make_outbox
from reports.golden import rasterise
from reports.samples import sample_record
from sync.client import PlatformClient
from sync.outbox import Backoff
from tests.sync.kit import running_platform

NO = "JD-AC01-2026-00042"
SERIAL = sample_record().instrument.serial


def _certs(tmp_path: Path) -> Certificates:
    store = Store(tmp_path / "ws.sqlite")
    inst = store.add_instrument(category="交流充电桩", name="充电桩", model="M", serial=SERIAL, manufacturer="X",
                                accuracy_class="2")
    store.create_run(Run(id=sample_record().run_id, regulation="jjg1148", edition="2022", verification_type="first",
                         instrument_id=inst.id or 0))
    certs = Certificates(store, documents_dir(store.path), tmp_path / "keys" / "inst.pem")
    certs.init_key("某市计量检定测试所")
    return certs


def _issue(certs: Certificates, lookup_url: str) -> tuple[str, bytes]:
    """Issue the sample certificate with ``lookup_url`` in its institution; its QR and PDF."""
    base = sample_record()
    rec = dataclasses.replace(base, certificate_no=NO,
                              institution=dataclasses.replace(base.institution, lookup_url=lookup_url))
    certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    st, path = certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert st.issued is not None
    return st.issued.qr_text, path.read_bytes()


def _scan(pdf: bytes) -> str:
    """What a phone reads from the cover: the one QR code on page 1, decoded by zxing-cpp."""
    [code] = zxingcpp.read_barcodes(rasterise(pdf, 150)[0])
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return code.text


def test_scanned_qr_is_the_lookup_url_and_its_claim_verifies_offline(tmp_path: Path) -> None:
    certs = _certs(tmp_path)
    qr, pdf = _issue(certs, "https://jd.example.org")
    url = _scan(pdf)
    assert url == qr
    signed = parse_qr(url)
    assert url.startswith(f"https://jd.example.org/c/{signed.token}#JDQ1;")
    assert f";n={NO};" in url and f";s={SERIAL};" in url and ";c=P;" in url and ";u=2029-11-22;" in url

    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(export_keys(certs.store)), "utf-8")
    from bench.cert_verify import load_keys

    offline = verify_qr(url, None, load_keys(keys_file))  # no store, no network: the public key alone
    assert offline.ok, offline.lines()
    notes = "\n".join(offline.notes)
    assert NO in notes and SERIAL in notes and "合格 (pass)" in notes and "有效期至 (valid until) 2029-11-22" in notes
    assert main(["--db", str(tmp_path / "none.sqlite"), "certificate", "verify", "--qr", url, "--keys", str(keys_file),
                 "--offline"]) == 0

    # a changed field of the fragment, or the genuine fragment under another address, is refused
    forged = url.replace(f";s={SERIAL};", ";s=AC20261107-0816;")
    moved = url.replace("https://jd.example.org", "https://jd.example.com")
    for bad in (forged, moved):
        v = verify_qr(bad, None, keys_from_store(certs.store))
        assert not v.ok and any("声明签名无效" in p for p in v.problems), v.lines()
    wrong_token = url.replace(signed.token, signed.token[::-1])
    assert any("查询码与签名不符" in p for p in verify_qr(wrong_token, None, {}).problems)
    assert main(["--db", str(tmp_path / "none.sqlite"), "certificate", "verify", "--qr", forged, "--keys",
                 str(keys_file), "--offline"]) == 2

    # the PDF itself and the store agree with the URL form
    assert verify_pdf(pdf, keys_from_store(certs.store), certs.store).ok
    assert verify_qr(url, certs.store).ok


def test_scanned_url_opens_the_platform_page_with_the_status(tmp_path: Path) -> None:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as platform:
        certs = _certs(tmp_path)
        qr, pdf = _issue(certs, platform.url)  # the reference platform on loopback is the lookup address
        [key] = certs.store.signing_keys()
        platform.register_key(export_keys(certs.store)["keys"][0]["public_key_hex"])  # it checks seal and claim
        assert key.key_id == parse_qr(qr).key_id
        url = _scan(pdf)
        assert url == qr

        client = PlatformClient(platform.url, platform.token)
        outbox = make_outbox(certs.store, client, backoff=Backoff(base_s=1, cap_s=5, rng=random.Random(1)))
        assert outbox.drain().acked == 1

        address, _, fragment = url.partition("#")  # the fragment stays on the phone
        assert fragment.startswith("JDQ1;") and "#" not in address
        page = httpx.get(address, timeout=30)
        assert page.status_code == 200, page.text
        for text in ("状态：有效 (VALID)", NO, SERIAL, "合格", "2029-11-22"):
            assert text in page.text
        # the page's script compares the fragment's claim (kept on the phone) with the record it shows
        assert f'data-number="{NO}" data-version="1" data-serial="{SERIAL}"' in page.text and "#JDQ1;" in page.text

        certs.revoke(NO, demo_account(certs.store, "王建国", "approver"), "器具已报废")
        assert outbox.drain().acked == 1
        assert "状态：已撤销 (REVOKED)" in httpx.get(address, timeout=30).text
        client.close()


@pytest.mark.parametrize("lookup_url", ["", "https://jd.example.org"])
def test_old_text_form_without_lookup_address_still_verifies(tmp_path: Path, lookup_url: str) -> None:
    certs = _certs(tmp_path)
    qr, pdf = _issue(certs, lookup_url)
    assert _scan(pdf) == qr and qr.startswith("JDC1|" if not lookup_url else "https://")
    assert verify_qr(qr, certs.store).ok
    if not lookup_url:  # the old text signs the content, which only the store holds
        assert any("JDC1" in p for p in verify_qr(qr, None, keys_from_store(certs.store)).problems)
