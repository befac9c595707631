"""Drive ``make demo``'s app and fake site in a real headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, through Selenium).

``python -m tests.browser docs/_static/demo-profile.png`` takes the profile
screenshot shown in the README.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from .processes import module_command, python_env, running

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def running_demo() -> Iterator[str]:
    """``python -m authlib_cashsocial demo`` (what ``make demo`` runs) in a
    subprocess; yields the demo app's URL."""
    with running(module_command("demo"), env=python_env()) as demo:
        yield demo.stdout.wait_for(r"demo app:\s+(http://\S+?)/?\s").group(1)


@contextmanager
def chromium(profile_dir: Path, *flags: str) -> Iterator[WebDriver]:
    """Headless Chromium with a profile of its own; ``flags`` are more of
    Chromium's command-line switches (``--host-resolver-rules=...``)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,900",
        f"--user-data-dir={profile_dir}",
        *flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER), options=options
    )
    try:
        yield driver
    finally:
        driver.quit()


def click(driver: WebDriver, css: str) -> None:
    WebDriverWait(driver, 10).until(
        expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css))
    ).click()


def sign_in(driver: WebDriver, username: str, password: str) -> None:
    WebDriverWait(driver, 10).until(
        expected_conditions.presence_of_element_located((By.NAME, "username_email"))
    )
    driver.find_element(By.NAME, "username_email").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    click(driver, "#signin")


def title_is(driver: WebDriver, title: str) -> bool:
    """Wait (up to 10 s) for the page titled ``title``: a click starts a
    navigation, and the old page may still be there when the click returns."""
    try:
        WebDriverWait(driver, 10).until(lambda d: d.title == title)
    except TimeoutException:
        return False
    return True


def url_starts(driver: WebDriver, prefix: str) -> bool:
    """Wait (up to 10 s) for the browser to be at a URL under ``prefix``."""
    try:
        WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(prefix))
    except TimeoutException:
        return False
    return True


def text_of(driver: WebDriver, css: str) -> str:
    element = WebDriverWait(driver, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return str(element.text)


def picture_loaded(driver: WebDriver) -> bool:
    return bool(
        driver.execute_script(
            "const img = document.getElementById('picture');"
            "return img.complete && img.naturalWidth > 0;"
        )
    )


def capture_profile(screenshot: Path, profile_dir: Path) -> None:
    """Log in as alice in the demo and save the profile page's screenshot."""
    with running_demo() as app, chromium(profile_dir) as driver:
        driver.get(app + "/")
        click(driver, "#login")
        sign_in(driver, "alice", "wonderland")
        click(driver, "#approve")
        text_of(driver, "#name")
        WebDriverWait(driver, 10).until(lambda d: picture_loaded(d))
        driver.save_screenshot(str(screenshot))


if __name__ == "__main__":
    import tempfile

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-profile.png")
    with tempfile.TemporaryDirectory() as profile:
        capture_profile(target, Path(profile))
    time.sleep(0)
    print(f"saved {target}")
