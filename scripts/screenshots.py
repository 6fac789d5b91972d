"""Take the README's screenshots: the demo province (``manage.py seed_demo``) served by a live
server, opened in Debian's Chromium through Playwright as three of its demo users, at 360 px
(a phone) and 1366 px (a desktop).

    DVK_VAR_DIR=/tmp/dvk-demo .venv/bin/python manage.py migrate
    DVK_VAR_DIR=/tmp/dvk-demo .venv/bin/python manage.py seed_demo
    DVK_VAR_DIR=/tmp/dvk-demo .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

It starts ``manage.py runserver`` on a free port with the same environment, logs in through
the login page, and exits 1 when a page answers an error or scrolls sideways at 360 px.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"]
PASSWORD = "dvk-demo-2026"  # core.demo.DEMO_PASSWORD
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# (file, demo user, viewport, path, height of the picture: the page's top, down to this)
SHOTS = (
    ("home-official-phone.png", "xa.canbo", PHONE, "/", 1400),
    ("initiatives-desktop.png", "tinh.thuky", DESKTOP, "/initiatives/?q=dan%20van", 1500),
    ("dashboard-chair-desktop.png", "tinh.chutich", DESKTOP, "/dashboard/", 900),
    ("initiatives-phone.png", "tinh.thuky", PHONE, "/initiatives/", 780),
    ("commendations-phone.png", "tinh.vanthu", PHONE, "/commendations/?year=2020", 1400),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "1"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    problems = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, username, viewport, path, height in SHOTS:
                context = browser.new_context(locale="vi-VN", viewport=viewport)
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                response = page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                scroll, inner = page.evaluate(WIDTHS)
                if response is None or response.status != 200:
                    problems.append(f"{path} as {username}: HTTP {response and response.status}")
                if scroll > inner:
                    problems.append(f"{path} as {username}: {scroll} px wide at {inner} px")
                height = min(height, page.evaluate("() => document.body.scrollHeight"))
                clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
                page.screenshot(path=str(out / name), full_page=True, clip=clip)
                print(f"{name}: {path} as {username}, {viewport['width']} px, page {scroll} px")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
