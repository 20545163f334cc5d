"""Where a live view listens, the address `herd sim --serve` and `herd up --control` print, and
its control API as the page uses it: the printed token on every /api/ request, JSON POSTs."""
import json
import re
import urllib.error
import urllib.parse
import urllib.request

ADDRESS = re.compile(r"live view: (http://[0-9.:\[\]]+/)(?:\?token=([0-9a-f]+))?")


def wait_for_live_view(proc):
    """Reads `proc`'s stdout (text) until the live view's address: (url ending in "/", token or
    None). Raises if the process ends without printing one."""
    for line in proc.stdout:
        m = ADDRESS.search(line)
        if m:
            return m.group(1), m.group(2)
    raise RuntimeError("no live view address printed")


def page_url(url, token):
    """The page's address as herd printed it, with its token."""
    return url + ("?token=" + token if token else "")


class LiveApi:
    """The control API at `url` (ending in "/") with `token` (None: --control-open)."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def address(self, path, **params):
        if self.token and path.startswith("api/"):
            params["token"] = self.token
        query = urllib.parse.urlencode(params)
        return self.url + path + ("?" + query if query else "")

    def get(self, path, timeout=30, **params):
        """(status, body text) of a GET."""
        try:
            with urllib.request.urlopen(self.address(path, **params), timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path, body, timeout=30):
        """(status, parsed JSON) of a POST of `body` (bytes as they are, else as JSON)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.address(path), data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def state(self):
        """/api/state, parsed."""
        return json.loads(self.get("api/state")[1])

    def links_up(self, server):
        """What /api/state says of each directed link of `server`: connected (True), not (False),
        or nothing (None, for servers that report nothing of their links)."""
        return [l.get("up") for l in self.state()["links"] if server in (l["from"], l["to"])]

    def events(self, timeout=60):
        """The open /api/events stream."""
        return urllib.request.urlopen(self.address("api/events"), timeout=timeout)
