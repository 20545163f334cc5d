"""Where a live view listens: the address `herd sim --serve` and `herd up --control` print."""
import re

ADDRESS = re.compile(r"live view: (http://[0-9.:]+/)(?:\?token=([0-9a-f]+))?")


def wait_for_live_view(proc):
    """Reads `proc`'s stdout (text) until the live view's address: (url ending in "/", token or
    None). Raises if the process ends without printing one."""
    for line in proc.stdout:
        m = ADDRESS.search(line)
        if m:
            return m.group(1), m.group(2)
    raise RuntimeError("no live view address printed")
