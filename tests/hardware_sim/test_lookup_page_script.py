"""The lookup page's script (hardware_sim/platform/app.py): run in node against a stand-in DOM, it
shows the QR fragment's claim and says whether it agrees with the record the page shows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from hardware_sim.platform.app import FRAGMENT_SCRIPT

RECORD = {"data-number": "JD-AC01-2026-00042", "data-version": "1", "data-serial": "AC20261107-0815"}
CLAIM = "#JDQ1;t=C;n=JD-AC01-2026-00042;v=1;s={serial};c=P;d=2026-11-23;u=2029-11-22;k=ab;h=cd;g=ef"


def _run(fragment: str) -> str:
    script = re.search(r"<script>(.*)</script>", FRAGMENT_SCRIPT, re.S)
    assert script is not None
    harness = (f"var attrs = {json.dumps(RECORD)}, shown = [];"
               "var box = {getAttribute: function (k) { return attrs[k]; }, appendChild: function (p) { shown.push(p); }};"
               "var document = {getElementById: function () { return box; }, createElement: function () { return {style: {}}; }};"
               f"var window = {{location: {{hash: {json.dumps(fragment)}}}}};" + script.group(1)
               + "console.log(shown.length ? shown[0].textContent + '|' + shown[0].style.color : 'nothing shown');")
    done = subprocess.run(["node", "-e", harness], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_the_page_compares_the_fragment_with_its_record() -> None:
    same = _run(CLAIM.format(serial="AC20261107-0815"))
    assert "出厂编号 (serial) AC20261107-0815" in same and "有效期至 2029-11-22" in same
    assert same.endswith("与平台记录一致 (matches the platform's record)|#1b7f3b")
    assert "与平台记录不符" in _run(CLAIM.format(serial="FAKE-0001"))
    assert _run("") == "nothing shown"
