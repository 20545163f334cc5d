"""A small W3C WebDriver client on the standard library: Debian's chromedriver drives Debian's
Chromium, so the browser tests need nothing from outside Debian's packages.

    with Browser() as b:
        b.open("http://127.0.0.1:8080/")
        b.click('g.link[data-link="Bona-Clark"] line.hit')
"""
import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def available():
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def versions():
    """"Chromium 156.0... / ChromeDriver 150.0...": what is installed, for messages."""
    out = []
    for program in (CHROMIUM, CHROMEDRIVER):
        try:
            out.append(subprocess.run([program, "--version"], capture_output=True, text=True,
                                      timeout=20).stdout.strip().split(" (")[0])
        except OSError as e:
            out.append(f"{program}: {e}")
    return " / ".join(out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriverError(Exception):
    pass


class Browser:
    def __init__(self, width=1300, height=800):
        self.port = free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        # Headless, and nothing reaching out of the machine at start.
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--window-size={width},{height}"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
        try:
            self.session = self._call("POST", "/session", caps)["sessionId"]
        except WebDriverError:
            self.driver.terminate()
            self.driver.wait(timeout=10)
            raise

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise WebDriverError(f"{method} {path}: {e.read().decode()[:500]}") from None

    def _s(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url):
        self._s("POST", "/url", {"url": url})

    def find(self, css):
        return self._s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def wait_for(self, css, seconds=20):
        deadline = time.time() + seconds
        while True:
            try:
                return self.find(css)
            except WebDriverError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    def click(self, css, seconds=20):
        # A page that redraws may replace the element between finding it and clicking it: find
        # it again.
        deadline = time.time() + seconds
        while True:
            try:
                self._s("POST", f"/element/{self.wait_for(css, seconds)}/click", {})
                return
            except WebDriverError as e:
                if "stale element" not in str(e) or time.time() > deadline:
                    raise
                time.sleep(0.05)

    def fill(self, css, text):
        element = self.wait_for(css)
        self._s("POST", f"/element/{element}/clear", {})
        self._s("POST", f"/element/{element}/value", {"text": text})

    def run(self, script, *args):
        """Runs `script` (a function body; `arguments` holds args) in the page; its result."""
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_until(self, script, seconds=20, *args):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.run(script, *args):
                return True
            time.sleep(0.1)
        return False

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self._s("GET", "/screenshot")))

    def close(self):
        try:
            self._s("DELETE", "")
        except Exception:
            pass
        self.driver.terminate()
        self.driver.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
