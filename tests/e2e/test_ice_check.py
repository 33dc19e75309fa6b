"""The production coturn configuration (deploy/coturn/turnserver.conf) started for real, and the
console's ICE check page run against it in Chromium: a credential minted by the project relays, an
expired or forged one gets no relay candidate, and the page says so in words. The TLS listeners
(3478 and 5349 in production; 443 is a port forward to 5349) answer a TLS handshake.

Only what cannot be production on a test machine is swapped: the addresses (loopback), the ports
(free ones), the certificate (self-signed, made here), the secret and the log path.
"""

from __future__ import annotations

import re
import secrets
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from settings_profiles.ice import turn_rest_credential
from settings_profiles.models import AccountCallSettings
from tests.conftest import require_service
from tests.e2e.conftest import TURNSERVER
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

CONF = Path(settings.BASE_DIR) / "deploy" / "coturn" / "turnserver.conf"


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both)."""
    while True:
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "turn.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class HardenedTurn:
    udp_url: str
    secret: str
    tls_ports: tuple[int, int]
    log: Path


@pytest.fixture
def hardened_coturn(tmp_path, artifacts_dir) -> Iterator[HardenedTurn]:
    require_service("coturn", TURNSERVER.exists(), f"needs {TURNSERVER} (apt-get install coturn)")
    text = CONF.read_text()
    assert "allow-loopback-peers" not in re.sub(r"#.*", "", text), "the production config must not allow loopback peers"
    cert, key = self_signed(tmp_path)
    port, tls_port = free_port(), free_port()
    secret = secrets.token_urlsafe(32)
    log = tmp_path / "coturn.log"
    swaps = {
        "listening-port": str(port),
        "tls-listening-port": str(tls_port),
        "listening-ip": "127.0.0.1",
        "relay-ip": "127.0.0.1",
        "min-port": "51000",
        "max-port": "51999",
        "cert": str(cert),
        "pkey": str(key),
        "static-auth-secret": secret,
        "log-file": str(log),
    }
    for option, value in swaps.items():
        text, count = re.subn(rf"^{re.escape(option)}=.*$", f"{option}={value}", text, flags=re.MULTILINE)
        assert count == 1, f"{option} is not set exactly once in {CONF.name}"
    conf = tmp_path / "turnserver.conf"
    conf.write_text(text + f"\npidfile={tmp_path / 'turnserver.pid'}\nuserdb={tmp_path / 'turndb'}\nverbose\n")
    log.write_text("")
    process = subprocess.Popen(  # noqa: S603
        [str(TURNSERVER), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while "Total General servers" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coturn did not start from {CONF.name}: {log.read_text()[-3000:]}")
            time.sleep(0.05)
        yield HardenedTurn(
            udp_url=f"turn:127.0.0.1:{port}?transport=udp",
            secret=secret,
            tls_ports=(port, tls_port),
            log=log,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        (artifacts_dir / "coturn-hardened.log").write_text(log.read_text())


def test_production_coturn_config_speaks_tls_on_its_tcp_ports(hardened_coturn):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed here; production has a real certificate
    for port in hardened_coturn.tls_ports:
        deadline = time.monotonic() + 5
        while True:
            try:
                with (
                    socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
                    context.wrap_socket(raw, server_hostname="turn.test") as tls,
                ):
                    assert tls.version() in {"TLSv1.2", "TLSv1.3"}, tls.version()
                break
            except (ConnectionRefusedError, ssl.SSLError) as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"TLS on {port}: {exc}; {hardened_coturn.log.read_text()[-3000:]}") from exc
                time.sleep(0.1)


def test_ice_check_page_finds_relay_only_with_a_valid_credential(web, hardened_coturn, admin_user, account):
    """
    GIVEN an account whose TURN REST secret is coturn's (minted credentials), plus two static TURN
          entries on the same server: one credential that expired an hour ago, one signed with a
          wrong secret
    WHEN its admin opens the ICE check in the console
    THEN the minted credential gives a relay candidate and reads "TURN works"; the expired and the
         forged ones give none and read that TURN refused; coturn logged no allocation for them
    """
    expired_user, expired_password = turn_rest_credential(
        secret=hardened_coturn.secret, participant="expired", ttl_s=60, now=time.time() - 3600
    )
    forged_user, forged_password = turn_rest_credential(secret="not-the-secret", participant="forged", ttl_s=3600)
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings.turn_rest_urls = [hardened_coturn.udp_url]
    call_settings.turn_rest_shared_secret = hardened_coturn.secret
    call_settings.ice_servers = [
        {"urls": hardened_coturn.udp_url, "username": expired_user, "credential": expired_password},
        {"urls": hardened_coturn.udp_url, "username": forged_user, "credential": forged_password},
    ]
    call_settings.full_clean()
    call_settings.save()

    web.login(admin_user.email, PASSWORD)
    web.open("/console/call-settings/")
    web.page.get_by_role("link", name="Check from this browser").click()
    web.page.wait_for_selector("body[data-ice-check='done']", timeout=30_000)
    rows = web.page.locator("#ice-results tbody tr")
    assert rows.count() == 3
    # Static servers first (as configured), then the TURN REST one with its minted credential.
    expired, forged, minted = (rows.nth(i) for i in range(3))
    assert minted.get_attribute("data-state") == "ok" and int(minted.get_attribute("data-relay")) >= 1
    assert "TURN works" in minted.inner_text()
    for refused in (expired, forged):
        assert refused.get_attribute("data-state") == "failed"
        assert refused.get_attribute("data-relay") == "0"
        assert "TURN gave no relay candidate" in refused.inner_text()
    assert "2 of 3 servers did not work" in web.page.locator("#ice-summary").inner_text()
    # The page shows where it checked, never the credentials.
    html = web.page.content()
    for secret in (expired_password, forged_password, hardened_coturn.secret):
        assert secret not in web.page.locator("main").inner_text()
    assert hardened_coturn.secret not in html
    web.screenshot("console-ice-check")
    web.assert_no_console_errors("ICE check")

    log = hardened_coturn.log.read_text()
    assert re.search(r"user <\d+:icecheck-\d+>: incoming packet ALLOCATE processed, success", log)
    assert not re.search(r"user <[^>]*(expired|forged)>: incoming packet ALLOCATE processed, success", log)


def test_support_checks_any_account_and_agents_may_not(web, hardened_coturn, account, agent, support):
    call_settings = AccountCallSettings.objects.get(account=account)
    call_settings.turn_rest_urls = [hardened_coturn.udp_url]
    call_settings.turn_rest_shared_secret = hardened_coturn.secret
    call_settings.save()

    web.login(agent.email, PASSWORD)
    assert web.page.goto(web.base_url + "/console/call-settings/ice-check/").status == 403

    web.login(support.email, PASSWORD)
    web.open(f"/console/call-settings/ice-check/?account={account.slug}")
    web.page.wait_for_selector("body[data-ice-check='done']", timeout=30_000)
    assert web.page.locator("#ice-results tbody tr").first.get_attribute("data-state") == "ok"
    assert web.page.get_by_role("link", name="Support admin").is_visible()
    assert web.page.goto(web.base_url + "/console/call-settings/ice-check/?account=nope").status == 404
