"""NGINX with SSL/TLS: only TLSv1.2 and TLSv1.3 are accepted, for a certificate
naming the domain."""

import re

import pytest

from stack import handshake

SECTION = "6. NGINX with SSL/TLS"
VERSIONS = {"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}


@pytest.mark.by_hand("echo | openssl s_client -connect 127.0.0.1:{https_port} -servername {domain} -{version} | grep Protocol")
@pytest.mark.parametrize("version", ["tls1_2", "tls1_3"])
def test_tls_version_accepted(host, site, version, figure):
    out = handshake(host, site, version)
    figure("%s handshake" % VERSIONS[version], "accepted" if out.rc == 0 else "refused")
    assert out.rc == 0, "%s handshake failed: %s" % (VERSIONS[version], out.stderr.strip()[-200:])
    assert re.search(r"Protocol\s*:\s*%s\b" % re.escape(VERSIONS[version]), out.stdout), \
        "the session did not use %s" % VERSIONS[version]


@pytest.mark.by_hand("echo | openssl s_client -connect 127.0.0.1:{https_port} -servername {domain} -{version} -cipher DEFAULT:@SECLEVEL=0  # must fail")
@pytest.mark.parametrize("version", ["tls1", "tls1_1"])
def test_old_tls_version_refused(host, site, version, figure):
    out = handshake(host, site, version)
    figure("%s handshake" % VERSIONS[version], "accepted" if out.rc == 0 else "refused")
    assert out.rc != 0, "%s handshake succeeded: nginx must accept TLSv1.2 and TLSv1.3 only" % VERSIONS[version]


@pytest.mark.by_hand("echo | openssl s_client -connect 127.0.0.1:{https_port} -servername {domain} 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName -enddate")
def test_certificate_names_the_domain(host, site, figure, screenshot):
    screenshot.tls("The certificate and TLS details")
    out = host.run(
        "echo | openssl s_client -connect 127.0.0.1:%s -servername %s 2>/dev/null"
        " | openssl x509 -noout -subject -ext subjectAltName -enddate", str(site.https_port), site.domain)
    assert out.rc == 0, "no certificate presented on port %d" % site.https_port
    figure("Certificate", " ".join(out.stdout.split()))
    assert "DNS:%s" % site.domain in out.stdout, "certificate does not name %s: %s" % (site.domain, out.stdout)
