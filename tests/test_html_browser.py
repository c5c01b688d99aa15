"""report.html in a real browser: headless Chromium through selenium and chromedriver loads the
page from a file and its filters, its status and feature matrices, its discrepancy groups, its
rendering and its handling of framework markup are checked as a reader would see them.

Skipped, saying why, where Chromium or chromedriver is not installed. A watchdog kills the
browser after ``TOTAL_S`` seconds so that a hung browser fails the test instead of blocking the
run. Everything it writes lives in pytest's ``tmp_path`` (safe under ``pytest -n auto``).
"""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tconv.reports import html as report_html
from tests.test_html import (
    CRASH_ID,
    EVIDENCE,
    KNOWN_ID,
    MARKUP,
    MISMATCH_ID,
    SHAPE_ID,
    TF2ONNX,
    _entry,
    _known,
    converter_document,
    synthetic_document,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOTAL_S = 120

# Installed before any script of the page runs: every alert() lands in a list to read back.
ALERT_TRAP = "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian packages chromium and "
                "chromium-driver)", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--window-size=1280,1024",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    # Its own process group, so the watchdog can end chromedriver and the browser it started
    # (and nothing else); selenium passes popen_kw to subprocess.Popen
    # (selenium/webdriver/common/service.py).
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER),
                                      log_output=str(tmp_path / "chromedriver.log"),
                                      popen_kw={"start_new_session": True})
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        process = getattr(service, "process", None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    watchdog = threading.Timer(TOTAL_S, kill)
    watchdog.start()
    driver = None
    try:
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_TRAP})
        yield driver
    finally:
        watchdog.cancel()
        if driver is not None and not expired.is_set():
            driver.quit()
        if expired.is_set():
            pytest.fail(f"the browser did not finish within {TOTAL_S} s and was killed")


def _load(browser, tmp_path: Path, document: dict):
    path = tmp_path / "report.html"
    path.write_text(report_html.render(document), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


@pytest.fixture
def loaded(browser, tmp_path: Path):
    return _load(browser, tmp_path, synthetic_document())


def _shown(element) -> bool:
    """Not hidden by the filters (a check may still sit in its group's closed <details>)."""
    return not element.get_property("hidden")


def _visible_checks(driver) -> list[str]:
    # textContent: a check in a closed <details> has no rendered text, yet it is listed.
    return [row.find_element(By.CSS_SELECTOR, "code.check-id").get_attribute("textContent")
            for row in driver.find_elements(By.CSS_SELECTOR, "li.check") if _shown(row)]


def _visible_cards(driver) -> list:
    return [card for card in driver.find_elements(By.CSS_SELECTOR, "article.group")
            if _shown(card)]


def _card_of(driver, check_id: str):
    cards = [card for card in driver.find_elements(By.CSS_SELECTOR, "article.group")
             if check_id in card.get_attribute("textContent")]
    assert len(cards) == 1
    return cards[0]


def _cell(driver, adapter: str, family: str) -> str:
    cell = driver.find_element(
        By.CSS_SELECTOR, f'#matrix td[data-adapter="{adapter}"][data-family="{family}"]')
    return f"{cell.get_attribute('class')} | {' / '.join(cell.text.splitlines())}"


def _choose(driver, key: str, value: str) -> None:
    Select(driver.find_element(By.CSS_SELECTOR, f"select#filter-{key}")).select_by_value(value)


def test_filters_change_the_list_and_the_matrix(loaded) -> None:
    assert sorted(_visible_checks(loaded)) == sorted([MISMATCH_ID, SHAPE_ID, KNOWN_ID, CRASH_ID])
    assert _cell(loaded, "torch.functional", "literature") == "cell st-mismatch | 1 mismatch"
    assert _cell(loaded, "jax.jit", "edge") == "cell st-crash | 1 crash"
    assert loaded.find_element(By.ID, "discrepancy-count").text == "4 of 4"

    _choose(loaded, "status", "crash")
    assert _visible_checks(loaded) == [CRASH_ID]
    assert loaded.find_element(By.ID, "discrepancy-count").text == "1 of 4"
    # The groups whose checks are all filtered out go with them.
    assert [CRASH_ID in c.get_attribute("textContent") for c in _visible_cards(loaded)] == [True]
    assert _cell(loaded, "torch.functional", "literature") == "cell empty | \u2014"
    assert _cell(loaded, "jax.jit", "edge") == "cell st-crash | 1 crash"
    assert loaded.find_element(By.ID, "filtered-summary").text == \
        "Showing 1 of 7 checks: 1 crash"

    _choose(loaded, "status", "")
    _choose(loaded, "backend", "torch")
    assert sorted(_visible_checks(loaded)) == sorted([MISMATCH_ID, SHAPE_ID])
    assert _cell(loaded, "torch.functional", "edge") == "cell st-pass | 1 pass"
    assert _cell(loaded, "jax.jit", "edge") == "cell empty | \u2014"
    # Tables without statuses follow the backend filter: jax.jit's capability row goes.
    capabilities = [r.text.split()[0] for r in
                    loaded.find_elements(By.CSS_SELECTOR, "#capabilities tbody tr")
                    if r.is_displayed()]
    assert capabilities == ["torch.functional"]

    _choose(loaded, "family", "edge")
    assert _visible_checks(loaded) == [SHAPE_ID]
    assert not loaded.find_element(By.ID, "cross").find_element(
        By.CSS_SELECTOR, "tbody.filterable").is_displayed()


def test_feature_matrix_follows_the_backend_filter(loaded) -> None:
    def rows() -> list[str]:
        return [r.find_element(By.CSS_SELECTOR, "th").text for r in
                loaded.find_elements(By.CSS_SELECTOR, "#feature-matrix tbody tr")
                if r.is_displayed()]

    assert rows() == ["jax.jit", "onnx.reference", "torch.functional", "torch.module"]
    # torch.functional: one pass and one mismatch with symmetric padding, coloured as new
    cell = loaded.find_elements(By.CSS_SELECTOR, "#feature-matrix tbody tr")[2] \
        .find_elements(By.CSS_SELECTOR, "td")[2]
    assert cell.get_attribute("class") == "fcell ft-new"
    assert cell.text.splitlines() == ["1 pass", "1 new"]
    _choose(loaded, "backend", "torch")
    assert rows() == ["torch.functional", "torch.module"]


def test_the_converter_path_filter(browser, tmp_path: Path) -> None:
    """Converter paths sit under their own heading in both matrices; choosing one leaves its
    row of the feature matrix, its cells of the status matrix and its discrepancy."""
    driver = _load(browser, tmp_path, converter_document())
    path_cell = ("tf.nn.conv_transpose.tf2onnx", "literature")

    def features() -> list[str]:
        return [r.find_element(By.CSS_SELECTOR, "th").text.splitlines()[0] for r in
                driver.find_elements(By.CSS_SELECTOR, "#feature-matrix tr.filterable")
                if r.is_displayed()]

    heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#matrix tr.kind-head")]
    assert heads == ["frameworks", "converter paths"]
    assert _cell(driver, *path_cell) == "cell st-mismatch | 1 mismatch"
    assert len(features()) == 5
    _choose(driver, "path", TF2ONNX)
    assert features() == ["tf.nn.conv_transpose.tf2onnx"]
    assert _visible_checks(driver) == [
        "tf.nn.conv_transpose.tf2onnx::literature/impulse-2d/float32::forward::cpu"]
    assert _cell(driver, *path_cell) == "cell st-mismatch | 1 mismatch"
    assert _cell(driver, "torch.functional", "literature").startswith("cell empty")
    _choose(driver, "path", report_html.OWN)
    assert len(features()) == 4 and "tf.nn.conv_transpose.tf2onnx" not in features()
    assert _cell(driver, *path_cell).startswith("cell empty")
    _choose(driver, "path", "")
    assert len(features()) == 5


def test_a_group_counts_the_checks_the_filters_leave(browser, tmp_path: Path) -> None:
    entry = _entry(EVIDENCE)
    checks = [_known("edge/groups-1/float32", entry), _known("edge/groups-2/float32", entry),
              _known("edge/groups-3/float64", entry)]
    driver = _load(browser, tmp_path, {**synthetic_document(), "checks": checks})
    card = _card_of(driver, checks[0]["check_id"])
    assert card.find_element(By.CSS_SELECTOR, ".group-count").text == "3 of 3"
    assert card.find_element(By.CSS_SELECTOR, "p.evidence").text == EVIDENCE
    # collapsed: the checks are there, not drawn until the group is opened
    assert not card.find_element(By.CSS_SELECTOR, "li.check").is_displayed()
    _choose(driver, "dtype", "float64")
    assert card.find_element(By.CSS_SELECTOR, ".group-count").text == "1 of 3"
    assert _visible_checks(driver) == [checks[2]["check_id"]]
    card.find_element(By.CSS_SELECTOR, "summary").click()
    shown = [li for li in card.find_elements(By.CSS_SELECTOR, "li.check") if li.is_displayed()]
    assert len(shown) == 1 and checks[2]["check_id"] in shown[0].text


def test_page_is_drawn(loaded) -> None:
    image = Image.open(io.BytesIO(loaded.get_screenshot_as_png())).convert("RGB")
    pixels = image.width * image.height
    colours = image.getcolors(maxcolors=pixels)
    assert colours is not None
    most = max(count for count, _ in colours)
    assert len(colours) > 16, f"{len(colours)} colours: the page looks blank"
    assert most / pixels < 0.9, f"one colour covers {most / pixels:.0%} of the screenshot"
    heatmap = loaded.find_element(By.CSS_SELECTOR, "img.heatmap")
    # naturalWidth is 0 for an image the browser could not decode.
    assert loaded.execute_script("return arguments[0].naturalWidth", heatmap) > 100


def test_framework_markup_shows_as_text(loaded) -> None:
    card = _card_of(loaded, CRASH_ID)
    assert MARKUP in card.text
    assert "</script><b>bold</b>" in card.text
    assert card.find_elements(By.CSS_SELECTOR, "img") == []
    assert card.find_elements(By.CSS_SELECTOR, "b") == []
    assert card.find_elements(By.CSS_SELECTOR, "script") == []
    card.find_element(By.CSS_SELECTOR, "details.group-checks > summary").click()
    row = card.find_element(By.CSS_SELECTOR, "li.check")
    row.find_element(By.CSS_SELECTOR, "details summary").click()
    assert "<script>alert(3)</script>" in row.find_element(By.CSS_SELECTOR, "code.reproducer").text
    # The page has exactly its two script elements and its one heatmap image.
    assert len(loaded.find_elements(By.CSS_SELECTOR, "script")) == 2
    assert len(loaded.find_elements(By.CSS_SELECTOR, "img")) == 1
    assert loaded.execute_script("return window.__alerts") == []
    with pytest.raises(NoAlertPresentException):
        loaded.switch_to.alert.text  # noqa: B018 - reading it is what raises


# Where the screenshot of a real run goes: beside the run's other outputs (docs/report.png is
# a copy of one, committed for the README).
SCREENSHOT = Path(__file__).resolve().parent.parent / "reports" / "latest" / "report.png"


def test_a_real_run_as_a_reader_sees_it(browser, tmp_path: Path) -> None:
    """A real run (three entry points, the quick profile), its page loaded and photographed:
    the headline counts on the page are report.json's, and the picture is not blank."""
    import json
    import subprocess
    import sys

    out = tmp_path / "run"
    run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--profile", "quick",
                          "--adapters", "torch.functional,jax.conv_transpose,onnxruntime",
                          "--out", str(out), "-q", "-p", "no:cacheprovider"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr[-2000:]
    doc = json.loads((out / "report.json").read_text())
    browser.set_window_size(1280, 900)
    browser.get((out / "report.html").as_uri())
    page = browser.find_element(By.TAG_NAME, "body").text
    assert f"{doc['summary']['checks']} checks" in page.replace(",", "")
    png = browser.get_screenshot_as_png()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert len(image.getcolors(maxcolors=image.width * image.height) or []) > 16
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(png)
