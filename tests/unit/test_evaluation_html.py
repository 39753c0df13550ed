"""The HTML evaluation report, opened and checked: every section of the scale in
its order, every figure, and each screenshot a real PNG of the page it claims
(the page title read from the DOM when the screenshot was taken).

A small suite with the real sections' names runs through pytester against a
local HTTPS site (the "VM" is this machine, testinfra's local backend), with
the real tunnel and headless Chromium. ``check_report`` also checks the
reports real runs write (Molecule ``default``: reports/molecule-default.html;
``make molecule`` runs test_written_reports on it after the scenarios).
"""

import glob
import html.parser
import os
import re
import shutil
import ssl
import struct
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVALUATION = os.path.join(ROOT, "tests", "evaluation")
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def scale_sections():
    """SECTION of every module of the real suite, in the scale's order."""
    found = []
    for path in sorted(glob.glob(os.path.join(EVALUATION, "test_*.py"))):
        with open(path) as handle:
            found.append(re.search(r'^SECTION = "(.+)"$', handle.read(), re.M).group(1))
    return sorted(found, key=lambda s: int(s.split(".")[0]))


# Figures every non-destructive run records (test_3, test_6, test_7, test_8).
FIGURES = ["Published ports", "TLSv1.2 handshake", "TLSv1.3 handshake", "TLSv1.0 handshake", "TLSv1.1 handshake",
           "Certificate", "Administrators", "wp_users rows"]


class ReportParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.figures, self.shots, self.checks = [], [], [], []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "tr" and "section" in classes:
            self.sections.append((attrs["data-section"], attrs["data-result"]))
        elif tag == "tr" and "data-figure" in attrs:
            self.figures.append(attrs["data-figure"])
        elif tag == "tr" and "check" in classes:
            self.checks.append((attrs["data-check"], attrs["data-outcome"]))
        elif tag == "figure" and "shot" in classes:
            self.shots.append(dict(attrs))
        elif tag == "img":
            self.images += 1
            self.shots[-1].update(src=attrs["src"], width=int(attrs["width"]), height=int(attrs["height"]))
        for name in ("src", "href"):  # self-contained: nothing to fetch
            assert not (attrs.get(name) or "data:").startswith(("http:", "https:", "//")), attrs


def png_of(src):
    import base64
    assert src.startswith("data:image/png;base64,")
    data = base64.b64decode(src.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return data, struct.unpack("!II", data[16:24])


def check_report(path, titles):
    """Parse an HTML report; titles: {screenshot caption: regex its page title matches}."""
    with open(path) as handle:
        text = handle.read()
    parser = ReportParser()
    parser.feed(text)
    sections = [name for name, _ in parser.sections]
    scale = scale_sections()
    on_scale = [s for s in sections if s in scale]
    # The scale's sections in its order; sections of other test directories (the roles'
    # tags, the self-check) come after them.
    assert on_scale == [s for s in scale if s in sections], "sections out of the scale's order"
    assert sections[:len(on_scale)] == on_scale, "a section from outside the scale comes before the scale's own"
    assert "<link" not in text and "<script" not in text, "the report must be one self-contained file"
    captions = {}
    for shot in parser.shots:
        assert "src" in shot, "no screenshot for %s" % shot["data-caption"]
        data, size = png_of(shot["src"])
        assert size == (shot["width"], shot["height"]) and size[0] >= 640 and size[1] >= 400, size
        captions[shot["data-caption"]] = shot["data-title"]
    for caption, title in titles.items():
        assert caption in captions, "no screenshot %r in %s" % (caption, sorted(captions))
        assert re.search(title, captions[caption]), "%r shows a page titled %r" % (caption, captions[caption])
    return parser, text


# -- a local site, the suite run against it ------------------------------------------

class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        logged_in = "wordpress_logged_in_" in (self.headers.get("Cookie") or "")
        title = "Page %s%s" % (self.path, " (logged in)" if logged_in else "")
        body = ("<!doctype html><title>%s</title><body style='font:24px sans-serif;background:#e8f0fe'>"
                "<h1>%s</h1></body>" % (title, title)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def https_site(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=demo.42.fr",
                    "-addext", "subjectAltName=DNS:demo.42.fr", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def suite_modules():
    modules = {}
    for number, section in enumerate(scale_sections(), 1):
        modules["test_%d_section" % number] = 'SECTION = %r\n\ndef test_point(figure):\n    figure("Figure of %d", "%d")\n' % (
            section, number, number)
    modules["test_3_section"] += '''

class LoggedIn:
    """Stands for stack.Browser after a login: a curl cookie jar."""
    def cookie_jar(self):
        return "#HttpOnly_demo.42.fr\\tFALSE\\t/\\tTRUE\\t0\\twordpress_logged_in_x\\tsecret-session-token\\n"

def test_pages(site, screenshot):
    screenshot.page("The front page", site.url)
    screenshot.page("The dashboard", site.url + "wp-admin/", browser=LoggedIn())
    screenshot.page("The front page again", site.url)  # no cookie left from the dashboard
'''
    modules["test_6_section"] += '''

def test_tls(screenshot):
    screenshot.tls("The certificate and TLS details")
'''
    return modules


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (tools/host-deps.sh installs it)")
def test_html_report_sections_figures_and_screenshots(pytester, https_site):
    for name in ("conftest.py", "report.py", "stack.py", "chromium.py", "discover.py"):
        with open(os.path.join(EVALUATION, name)) as handle:
            pytester.makepyfile(**{name[:-3]: handle.read()})
    pytester.makepyfile(**suite_modules())
    result = pytester.runpytest("-p", "no:cacheprovider", "--hosts=local://", "--login=demo",
                                "--https-port=%d" % https_site, "--project-dir=/nonexistent",
                                "--report=out.html", "--report=out.md")
    result.assert_outcomes(passed=len(scale_sections()) + 2)
    parser, text = check_report(str(pytester.path / "out.html"), {
        "The front page": r"^Page /$",
        "The dashboard": r"^Page /wp-admin/ \(logged in\)$",
        "The front page again": r"^Page /$",
        "The certificate and TLS details": r"^TLS details of demo\.42\.fr$"})
    assert [name for name, _ in parser.sections][:len(scale_sections())] == scale_sections()
    assert parser.figures == ["Figure of %d" % n for n in range(1, len(scale_sections()) + 1)]
    assert parser.images == 4
    assert {shot["data-url"] for shot in parser.shots} >= {"https://demo.42.fr:%d/" % https_site,
                                                          "https://demo.42.fr:%d/wp-admin/" % https_site}
    assert "secret-session-token" not in text and "secret-session-token" not in (pytester.path / "out.md").read_text()


def test_html_report_without_chromium_says_why(pytester, https_site, monkeypatch):
    """No Chromium: every check still decides; each screenshot says why it is missing."""
    for name in ("conftest.py", "report.py", "stack.py", "chromium.py", "discover.py"):
        with open(os.path.join(EVALUATION, name)) as handle:
            pytester.makepyfile(**{name[:-3]: handle.read()})
    pytester.makepyfile(**suite_modules())
    monkeypatch.setenv("PATH", os.path.dirname(shutil.which("pytest") or "/usr/bin/pytest") + ":/nonexistent")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hosts=local://", "--login=demo",
                                           "--https-port=%d" % https_site, "--project-dir=/nonexistent",
                                           "--report=out.html")
    result.assert_outcomes(passed=len(scale_sections()) + 2)
    text = (pytester.path / "out.html").read_text()
    assert text.count("No screenshot: chromium is not installed on the controller") == 4


@pytest.mark.parametrize("path", os.environ.get("INCEPTION_REPORTS", "").split() or [None])
def test_written_reports(path):
    """Reports real runs wrote, named in INCEPTION_REPORTS (make molecule names
    reports/molecule-default.html): the scale, the figures, five screenshots."""
    if path is None:
        pytest.skip("no report to check: INCEPTION_REPORTS=reports/x.html names the ones a run wrote")
    parser, _ = check_report(path, {
        "The front page": r".",
        'The install page answering "Already Installed"': r"Installation",
        "The /wp-admin dashboard after the administrator logs in": r"^Dashboard",
        "The post with the second user's comment": r".",
        "The certificate and TLS details": r"^TLS details of "})
    assert [name for name, _ in parser.sections][:len(scale_sections())] == scale_sections()
    missing = [name for name in FIGURES if name not in parser.figures]
    assert not missing, "figures missing: %s" % missing
