"""Screenshots for the HTML report: headless Chromium on the controller, looking
at the site on the VM through a tunnel that listens on 127.0.0.1 only.

- ``Tunnel``: 127.0.0.1:<port> here; each connection is piped to the HTTPS port
  on the VM's loopback by a command run through the testinfra backend
  (``docker exec -i``, ``ssh``, ``sh``), so nginx's own TLS reaches the browser
  and the VM needs no open port.
- ``Chromium``: Debian's ``chromium``, headless, driven over its DevTools
  protocol (a plain websocket, stdlib only). Every host name resolves to the
  tunnel, so the browser reaches nothing else.

Nothing here sees a password: a logged-in page gets the session cookies of the
suite's ``Browser`` (curl on the VM), never the login form.
"""

import base64
import html
import json
import os
import shlex
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections import namedtuple

WIDTH, HEIGHT = 1280, 800

Shot = namedtuple("Shot", "png title url security")


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


# -- the tunnel ---------------------------------------------------------------

def _pipe_script(port):
    """Shell on the VM: stdin/stdout <-> 127.0.0.1:port (bash, else socat, else nc)."""
    bash = "exec 3<>/dev/tcp/127.0.0.1/%d || exit 1; cat <&3 & cat >&3; kill $! 2>/dev/null" % port
    return ("if command -v bash >/dev/null 2>&1; then exec bash -c %s; "
            "elif command -v socat >/dev/null 2>&1; then exec socat - TCP:127.0.0.1:%d; "
            "else exec nc 127.0.0.1 %d; fi" % (shlex.quote(bash), port, port))


def native_backend(host):
    """testinfra's backend for the host; for ansible://, the one its connection maps to."""
    backend = host.backend
    if backend.NAME == "ansible":
        native = backend.ansible_runner.get_host(
            backend.host, ssh_config=backend.ssh_config, ssh_identity_file=backend.ssh_identity_file)
        return native.backend if native is not None else backend
    return backend


def reach(host):
    """How to get a shell on the VM by hand."""
    backend = native_backend(host)
    if backend.NAME in ("docker", "podman"):
        return "%s exec -it %s bash" % (backend.NAME, backend.name)
    if backend.NAME == "ssh":
        spec = backend.host
        return "ssh %s%s%s" % ("%s@" % spec.user if spec.user else "", spec.name, " -p %s" % spec.port if spec.port else "")
    if backend.NAME == "local":
        return "this machine"
    return "log in to %s" % backend.get_hostname()


def stream_command(host, script):
    """A local shell command running script on the VM with stdin/stdout attached,
    or None when the backend cannot (testinfra's run() only returns output)."""
    backend = native_backend(host)
    if backend.NAME in ("docker", "podman"):
        user = ["-u", backend.user] if getattr(backend, "user", None) else []
        return " ".join(shlex.quote(a) for a in [backend.NAME, "exec", "-i"] + user + [backend.name, "/bin/sh", "-c", script])
    if backend.NAME == "ssh":
        command, args = backend._build_ssh_command(script)
        return backend.quote(" ".join(command), *args)
    if backend.NAME == "local":
        return "/bin/sh -c %s" % shlex.quote(script)
    return None


class Tunnel:
    """127.0.0.1:<self.port> on this machine -> 127.0.0.1:<remote_port> on the VM."""

    def __init__(self, host, remote_port):
        self.command = stream_command(host, _pipe_script(remote_port))
        if self.command is None:
            raise RuntimeError("the %s backend cannot carry a connection to the VM" % host.backend.NAME)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(32)
        self.port = self.server.getsockname()[1]
        self.processes = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        process = subprocess.Popen(self.command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, bufsize=0, start_new_session=True)
        self.processes.append(process)

        def upstream():
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    process.stdin.write(data)
            except OSError:
                pass
            finally:
                try:
                    process.stdin.close()
                except OSError:
                    pass

        threading.Thread(target=upstream, daemon=True).start()
        try:
            while True:
                data = process.stdout.read(65536)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()
            self._end(process)

    @staticmethod
    def _end(process):
        if process.poll() is None:
            try:
                os.killpg(process.pid, 15)
            except OSError:
                pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        self.server.close()
        for process in self.processes:
            self._end(process)


# -- a minimal websocket client (RFC 6455), enough for DevTools ---------------

class WebSocket:
    def __init__(self, url, timeout=60):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (parts.path, parts.hostname, parts.port, key)).encode())
        self.stream = self.sock.makefile("rb")
        status = self.stream.readline()
        if b" 101 " not in status:
            raise RuntimeError("DevTools refused the websocket: %r" % status)
        while self.stream.readline() not in (b"\r\n", b""):
            pass

    def _read(self, count):
        data = self.stream.read(count)
        if data is None or len(data) < count:
            raise ConnectionError("DevTools closed the websocket")
        return data

    def send(self, text, opcode=0x1):
        payload = text.encode() if isinstance(text, str) else text
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def recv(self):
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            data = self._read(size)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = first & 0x0F
            if opcode == 0x9:
                self.send(data, opcode=0xA)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode in (0x0, 0x1, 0x2):
                message += data
                if first & 0x80:
                    return message.decode("utf-8", "replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# -- Chromium ------------------------------------------------------------------

class Chromium:
    """One headless Chromium; every host name it looks up resolves to 127.0.0.1:port."""

    def __init__(self, port, binary=None, timeout=60):
        binary = binary or find_chromium()
        if not binary:
            raise RuntimeError("chromium is not installed on the controller (tools/host-deps.sh installs it)")
        self.profile = tempfile.mkdtemp(prefix="inception-chromium-")
        self.timeout = timeout
        rules = "MAP * 127.0.0.1:%d" % port
        argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                "--ignore-certificate-errors", "--host-resolver-rules=%s" % rules,
                "--window-size=%d,%d" % (WIDTH, HEIGHT),
                "--user-data-dir=%s" % self.profile, "--remote-debugging-port=0", "about:blank"]
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=self.log, start_new_session=True)
        active = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while not (os.path.exists(active) and len(open(active).read().split()) >= 2):
            if self.process.poll() is not None or time.time() > deadline:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        devtools_port, path = open(active).read().split()[:2]
        self.ws = WebSocket("ws://127.0.0.1:%s%s" % (devtools_port, path), timeout)
        self.ids = 0
        self.events = []

    def call(self, method, session=None, **params):
        self.ids += 1
        message = {"id": self.ids, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.ids:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"].get("message")))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, session, timeout):
        deadline = time.time() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            if time.time() > deadline:
                return None
            self.ws.sock.settimeout(max(0.1, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except socket.timeout:
                return None
            finally:
                self.ws.sock.settimeout(self.timeout)

    def shoot(self, url, cookies=(), settle=1.0):
        """Open url in a fresh tab (with these cookies), wait for it to load,
        and take (PNG, the DOM's title, its location, the TLS details seen)."""
        # a context of its own: no cookie or cache from an earlier page
        context = self.call("Target.createBrowserContext", disposeOnDetach=True)["browserContextId"]
        target = self.call("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        try:
            for domain in ("Page", "Network", "Runtime"):
                self.call(domain + ".enable", session)
            self.call("Emulation.setDeviceMetricsOverride", session, width=WIDTH, height=HEIGHT,
                      deviceScaleFactor=1, mobile=False)
            if cookies:
                self.call("Storage.setCookies", cookies=list(cookies), browserContextId=context)
            self.events = [e for e in self.events if e.get("sessionId") != session]
            navigated = self.call("Page.navigate", session, url=url)
            if navigated.get("errorText"):
                raise RuntimeError("chromium could not open %s: %s" % (url, navigated["errorText"]))
            if self.wait_for("Page.loadEventFired", session, self.timeout) is None:
                raise RuntimeError("%s did not finish loading in %ds" % (url, self.timeout))
            if "#" in url:  # the fragment's element in the middle of the screen, not at its top edge
                self.call("Runtime.evaluate", session, expression=(
                    "var e = document.getElementById(%s); if (e) e.scrollIntoView({block: 'center'})"
                    % json.dumps(urllib.parse.unquote(url.split("#", 1)[1]))))
            time.sleep(settle)
            security = None
            for event in self.events:
                if event.get("sessionId") == session and event.get("method") == "Network.responseReceived" \
                        and event["params"].get("type") == "Document":
                    security = event["params"]["response"].get("securityDetails") or security
            state = self.call("Runtime.evaluate", session, returnByValue=True,
                              expression="[document.title, location.href]")["result"]["value"]
            png = base64.b64decode(self.call("Page.captureScreenshot", session, format="png")["data"])
            return Shot(png, state[0], state[1], security)
        finally:
            self.events = [e for e in self.events if e.get("sessionId") != session]
            self.call("Target.closeTarget", targetId=target)
            self.call("Target.disposeBrowserContext", browserContextId=context)

    def shoot_html(self, text, settle=0.3):
        """A page we render ourselves (no network: a data: URL)."""
        return self.shoot("data:text/html;charset=utf-8;base64," + base64.b64encode(text.encode()).decode(),
                          settle=settle)

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, 9)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def curl_jar_cookies(text, url):
    """Cookies of a curl cookie jar (Netscape format), for Network.setCookies."""
    cookies = []
    for line in text.splitlines():
        http_only = line.startswith("#HttpOnly_")
        if http_only:
            line = line[len("#HttpOnly_"):]
        fields = line.split("\t")
        if line.startswith("#") or len(fields) != 7:
            continue
        domain, _, path, secure, expires, name, value = fields
        cookie = {"name": name, "value": value, "url": url, "path": path,
                  "secure": secure == "TRUE", "httpOnly": http_only}
        if expires.isdigit() and int(expires) > 0:
            cookie["expires"] = int(expires)
        cookies.append(cookie)
    return cookies


def tls_page(domain, url, security, openssl):
    """The certificate and TLS details as a page: what Chromium saw when it
    loaded the site, and openssl's view from the VM."""
    rows = []
    if security:
        valid = lambda t: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))  # noqa: E731
        for label, value in (
                ("Protocol", security.get("protocol")),
                ("Key exchange", " ".join(filter(None, [security.get("keyExchange"), security.get("keyExchangeGroup")]))),
                ("Cipher", security.get("cipher")),
                ("Subject", security.get("subjectName")),
                ("Names (SAN)", ", ".join(security.get("sanList", []))),
                ("Issuer", security.get("issuer")),
                ("Valid from", valid(security["validFrom"]) if "validFrom" in security else None),
                ("Valid to", valid(security["validTo"]) if "validTo" in security else None)):
            rows.append("<tr><th>%s</th><td>%s</td></tr>" % (label, html.escape(str(value or "-"))))
    else:
        rows.append("<tr><td colspan=2>Chromium reported no TLS details for %s</td></tr>" % html.escape(url))
    title = "TLS details of %s" % domain
    return """<!doctype html><html><head><meta charset="utf-8"><title>%s</title><style>
body{font:15px/1.4 system-ui,sans-serif;margin:22px 28px;color:#1d2327;background:#f6f7f7}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:16px 0 6px}p{margin:0;color:#50575e}
table{border-collapse:collapse;background:#fff;border:1px solid #dcdcde}th,td{padding:4px 12px;
border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{width:150px;color:#50575e;font-weight:600}
pre{background:#fff;border:1px solid #dcdcde;padding:8px 12px;font-size:12.5px;line-height:1.3;white-space:pre-wrap;margin:0}
</style></head><body><h1>%s</h1><p>%s</p>
<h2>As Chromium saw it when it loaded the page</h2><table>%s</table>
<h2>As <code>openssl s_client</code> sees it on the VM</h2><pre>%s</pre></body></html>""" % (
        html.escape(title), html.escape(title), html.escape(url), "".join(rows), html.escape(openssl.strip()))
