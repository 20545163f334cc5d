"""A small Chrome DevTools Protocol client on the standard library, talking to Debian's Chromium
over --remote-debugging-pipe (JSON messages ending in a NUL byte on file descriptors 3 and 4).
No chromedriver, so no driver whose version must match the browser's, and no port to find.

    with Browser() as b:
        b.open("http://127.0.0.1:8080/")
        b.click('g.link[data-link="Bona-Clark"] line.hit')

Clicks and typing are input events sent to the browser, as a user's would be, at the middle of
the element on screen.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def available():
    return os.access(CHROMIUM, os.X_OK)


def versions():
    """"Chromium 156.0...": what is installed, for messages."""
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                              timeout=20).stdout.strip().split(" built")[0]
    except OSError as e:
        return f"{CHROMIUM}: {e}"


class BrowserError(Exception):
    pass


def open_or_skip(width=1300, height=800):
    """(a started Browser, None), or (None, why a browser test cannot run here: its exit is then
    77, skipped)."""
    if not available():
        return None, "no Chromium: tools/install-deps.sh --browser-tests installs it"
    try:
        return Browser(width, height), None
    except BrowserError as e:
        return None, f"skipped: {versions()} did not start here: {str(e)[:300]}"


def skip_reason():
    """Why a browser test cannot run here (its exit is then 77, skipped), or None."""
    browser, reason = open_or_skip()
    if browser:
        browser.close()
    return reason


class Browser:
    def __init__(self, width=1300, height=800, timeout=30):
        self.profile = tempfile.mkdtemp(prefix="herd-browser-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def pipes_on_3_and_4():
            # Copied out of the way first: either end may already be 3 or 4. dup2 leaves the
            # copies inheritable, which exec needs.
            reads, writes = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        # Headless, and nothing reaching out of the machine at start.
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"]
        # close_fds would close 3 and 4 after they are set; Python's own descriptors are not
        # inherited anyway.
        self.process = subprocess.Popen(args, preexec_fn=pipes_on_3_and_4, close_fds=False,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.session = None
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            self.session = self._call("Target.attachToTarget",
                                      {"targetId": target["targetId"], "flatten": True})["sessionId"]
            self._call("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except Exception:
            self.close()
            raise

    # --- the protocol ---------------------------------------------------------------------------

    def _call(self, method, params=None, timeout=60):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                    raise BrowserError(f"{method}: no answer within {timeout} s")
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"{method}: the browser closed its pipe "
                                       f"(exit status {self.process.poll()})")
                self._buffer += chunk
            text, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(text)
            if answer.get("id") != self._next_id:
                continue  # an event, or a late answer to an earlier call
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error'].get('message')}")
            return answer.get("result", {})

    # --- what the tests use -----------------------------------------------------------------------

    def open(self, url):
        self._call("Page.navigate", {"url": url})
        if not self.wait_until("return document.readyState === 'complete' && "
                               "location.href !== 'about:blank';"):
            raise BrowserError(f"{url} did not load")

    def run(self, script, *args):
        """Runs `script` (a function body; `arguments` holds args) in the page; its result."""
        expression = f"(function() {{ {script} }}).apply(null, {json.dumps(list(args))})"
        result = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError("script failed: " + details.get("exception", {}).get(
                "description", details.get("text", "")))
        return result["result"].get("value")

    def wait_until(self, script, seconds=20, *args):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.run(script, *args):
                return True
            time.sleep(0.1)  # the page gives no event to wait on from here; poll it
        return False

    def wait_for(self, css, seconds=20):
        if not self.wait_until("return !!document.querySelector(arguments[0]);", seconds, css):
            raise BrowserError(f"no element {css} within {seconds} s")

    def _middle(self, css):
        return self.run("const e = document.querySelector(arguments[0]); if (!e) return null;"
                        "e.scrollIntoView({block: 'center', inline: 'center'});"
                        "const r = e.getBoundingClientRect();"
                        "return [r.left + r.width / 2, r.top + r.height / 2];", css)

    def click(self, css, seconds=20):
        self.wait_for(css, seconds)
        x, y = self._middle(css)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                    "clickCount": 0 if kind == "mouseMoved" else 1})

    def fill(self, css, text):
        self.click(css)
        self.run("const e = document.querySelector(arguments[0]); e.select && e.select();", css)
        self._call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace",
                                              "windowsVirtualKeyCode": 8})
        self._call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace",
                                              "windowsVirtualKeyCode": 8})
        self._call("Input.insertText", {"text": text})

    def press(self, key):
        """A key as the keyboard (or a presenter's remote) sends it: " ", ".", "n", "ArrowLeft"."""
        codes = {" ": 32, ".": 190, "ArrowLeft": 37, "ArrowRight": 39, "Escape": 27}
        code = codes.get(key, ord(key.upper()) if len(key) == 1 else 0)
        down = {"type": "keyDown", "key": key, "windowsVirtualKeyCode": code}
        if len(key) == 1:
            down["text"] = key
        self._call("Input.dispatchKeyEvent", down)
        self._call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key,
                                              "windowsVirtualKeyCode": code})

    def resize(self, width, height):
        self._call("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self._call("Page.captureScreenshot", {"format": "png"})["data"]))

    def close(self):
        try:
            self._call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
