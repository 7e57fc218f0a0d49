"""Debian's Chromium, headless, driven through Debian's ChromeDriver by Selenium.

Both binaries come from apt-get (``make browser``, which ``make test`` runs): Selenium is
given their paths, so it never looks for, or downloads, a browser or a driver of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "chromium"
CHROMEDRIVER = "chromedriver"
# The machine's network is closed: without these, Chromium keeps trying to reach Google's
# hosts in the background (updates, sync, field trials) and fills its log with refusals.
QUIET_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--window-size=1280,1900",
)


class BrowserMissingError(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BrowserMissingError(
            f"{name} is not installed: `make browser` installs Debian's chromium and"
            " chromium-driver (make test does it first)"
        )
    return found


@contextmanager
def headless_chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary(CHROMIUM)
    for flag in QUIET_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # The page's console messages, CSP violations included, for the tests to read.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(_binary(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
