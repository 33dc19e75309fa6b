"""The configuration files the stack shares with real hosts: nginx (site and main conf), coturn, and
a self-signed certificate. `deploy/stack.py` runs the processes; the integration tests and
bench/flood.py render the same files here (free ports, their own directories).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE_TEMPLATE = DEPLOY / "nginx" / "vvc-site.conf.in"
TURN_CONF = DEPLOY / "coturn" / "turnserver.conf"
PROCFILE = DEPLOY / "Procfile"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
MIME_TYPES = Path("/etc/nginx/mime.types")


def render_nginx_site(
    *,
    listen: str,
    server_name: str,
    upstreams: list[str],
    cert: Path,
    key: Path,
    static_root: Path,
    log_dir: Path,
    redirect_http: bool = False,
) -> str:
    """The site file (for nginx's http {} block) from deploy/nginx/vvc-site.conf.in."""
    if not upstreams:
        raise ValueError("at least one daphne address is needed")
    for upstream in upstreams:
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d+", upstream):
            raise ValueError(f"not a host:port: {upstream!r}")
    if not re.fullmatch(r"[A-Za-z0-9.\- _*]+", server_name):
        raise ValueError(f"not a server name: {server_name!r}")
    redirect = (
        "server {\n    listen 80;\n    server_name "
        + server_name
        + ";\n    location = /healthz { proxy_pass http://vvc_daphne; }\n"
        "    location / { return 301 https://$host$request_uri; }\n}"
        if redirect_http
        else "# (no port-80 redirect on this stack)"
    )
    values = {
        "UPSTREAM_SERVERS": "\n".join(f"    server {u} max_fails=3 fail_timeout=2s;" for u in upstreams),
        "HTTP_REDIRECT": redirect,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "CERT": str(cert),
        "KEY": str(key),
        "STATIC_ROOT": str(static_root).rstrip("/"),
        "LOG_DIR": str(log_dir),
    }
    text = SITE_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    leftover = re.findall(r"@[A-Z_]+@", text)
    if leftover:
        raise ValueError(f"unrendered placeholders: {leftover}")
    return text


def nginx_main_conf(*, run_dir: Path, site: Path) -> str:
    """A whole nginx.conf running from `run_dir` as this user (no system paths written), for the
    stack and the tests. Real hosts include the site file in the system nginx instead."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the checkout and run_dir
    return (
        f"{user}worker_processes auto;\n"
        f"pid {run_dir / 'nginx.pid'};\n"
        f"error_log {run_dir / 'error.log'} warn;\n"
        "events { worker_connections 8192; }\n"
        "http {\n"
        f"    include {MIME_TYPES};\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        f"    client_body_temp_path {run_dir / 'tmp-body'};\n"
        f"    proxy_temp_path {run_dir / 'tmp-proxy'};\n"
        f"    fastcgi_temp_path {run_dir / 'tmp-fastcgi'};\n"
        f"    uwsgi_temp_path {run_dir / 'tmp-uwsgi'};\n"
        f"    scgi_temp_path {run_dir / 'tmp-scgi'};\n"
        f"    include {site};\n"
        "}\n"
    )


def write_nginx(run_dir: Path, *, port: int, upstreams: list[str], cert: Path, key: Path, static_root: Path) -> Path:
    """Render site + main conf into run_dir; returns the main conf (checked with `nginx -t`)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    site = run_dir / "vvc-site.conf"
    site.write_text(
        render_nginx_site(
            listen=f"127.0.0.1:{port}",
            server_name="localhost 127.0.0.1",
            upstreams=upstreams,
            cert=cert,
            key=key,
            static_root=static_root,
            log_dir=run_dir,
        )
    )
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx_main_conf(run_dir=run_dir, site=site))
    check = subprocess.run(  # noqa: S603 - our own nginx on our own file
        [NGINX, "-t", "-q", "-p", str(run_dir), "-c", str(conf)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected {conf}: {check.stderr.strip()}")
    return conf


def self_signed(directory: Path, names: tuple[str, ...] = ("localhost",), ips: tuple[str, ...] = ("127.0.0.1",)):
    """A self-signed certificate (and key) for these names and addresses, valid 30 days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def render_turn_conf(*, run_dir: Path, port: int, secret: str, cert: Path, key: Path) -> Path:
    """deploy/coturn/turnserver.conf with loopback addresses, this stack's ports, certificate and
    secret swapped in (as tests/e2e/test_ice_check.py does); everything else as in production."""
    text = TURN_CONF.read_text()
    swaps = {
        "listening-port": str(port),
        "tls-listening-port": str(port + 1),
        "listening-ip": "127.0.0.1",
        "relay-ip": "127.0.0.1",
        "min-port": "50000",
        "max-port": "50999",
        "cert": str(cert),
        "pkey": str(key),
        "static-auth-secret": secret,
        "realm": "localhost",
        "log-file": str(run_dir / "turnserver.log"),
    }
    for option, value in swaps.items():
        text, count = re.subn(rf"^{re.escape(option)}=.*$", f"{option}={value}", text, flags=re.MULTILINE)
        if count != 1:
            raise RuntimeError(f"{TURN_CONF}: expected one {option}= line")
    text += f"\npidfile={run_dir / 'turnserver.pid'}\nuserdb={run_dir / 'turndb'}\n"
    conf = run_dir / "turnserver.conf"
    conf.write_text(text)
    return conf
