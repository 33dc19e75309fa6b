"""What an operator relies on without running the stack: who may read /metrics and what it says, the
JSON log lines and their ids (never a token), the request id round trip, the nginx site rendered from
deploy/ (and accepted by nginx itself), and the relay publisher picking the layer's own shard."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from calls import services as call_services
from calls.sockets import relay as relaybus
from consoleproj import logs
from deploy import stack as deploy_stack
from tests.conftest import require_service


def samples(response) -> dict:
    text = response.content.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# --- /metrics ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_open_to_loopback_and_list_calls_by_state():
    response = Client().get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    values = samples(response)
    assert values[("vvc_calls", (("state", "active"),))] == 0
    assert ("vvc_call_transitions_total", (("from_state", "x"), ("to_state", "y"))) not in values


@pytest.mark.django_db
def test_metrics_show_the_worker_and_beat_heartbeat_ages(settings):
    """GIVEN a worker that beat 30 s ago and a beat never seen (a fresh database)
    WHEN /metrics is scraped
    THEN the worker's age is there and the beat, unknown, is left out."""
    from datetime import timedelta

    from django.utils import timezone

    from calls.models import ClockHeartbeat

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a deployment with a real worker and beat
    ClockHeartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(seconds=30))
    values = samples(Client().get("/metrics"))
    assert 29 <= values[("vvc_heartbeat_age_seconds", (("process", "worker"),))] <= 60
    assert ("vvc_heartbeat_age_seconds", (("process", "beat"),)) not in values


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "forwarded"),
    [
        ("203.0.113.9", None),  # a remote client straight to daphne
        ("127.0.0.1", "203.0.113.9"),  # a remote client through nginx
        ("203.0.113.9", "127.0.0.1"),  # a remote client forging loopback
        ("127.0.0.1", "127.0.0.1, 203.0.113.9"),  # a forged loopback in front of the real address
        ("127.0.0.1", "not-an-address"),
    ],
)
def test_metrics_from_elsewhere_need_the_bearer_token(settings, remote, forwarded):
    headers = {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", **headers).status_code == 404  # no token set: not served remotely

    settings.METRICS_TOKEN = "s3cret-metrics-token-0123456789"
    missing = Client().get("/metrics", **headers)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **headers).status_code == 403
    assert (
        Client().get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-metrics-token-0123456789", **headers).status_code
        == 403
    )
    ok = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token-0123456789", **headers)
    assert ok.status_code == 200 and b"vvc_calls" in ok.content


@pytest.mark.django_db
def test_metrics_refuse_writes():
    assert Client().post("/metrics").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_transitions_are_counted_once_committed(agent, django_capture_on_commit_callbacks):
    from calls.models import Conversation

    conversation = Conversation.objects.create(account=agent.account, agent=agent, state="open")
    key = ("vvc_call_transitions_total", (("from_state", "ringing"), ("to_state", "rejected")))
    before = samples(Client().get("/metrics")).get(key, 0)
    call = call_services.call_invite(agent=agent, conversation_id=conversation.pk, media="voice")
    call_services.call_reject(conversation_id=conversation.pk, call_id=call.pk)
    after = samples(Client().get("/metrics"))
    assert after[key] == before + 1
    assert after[("vvc_calls", (("state", "rejected"),))] == 1


# --- logs -------------------------------------------------------------------------------------------


def _record(message: str, *args) -> logging.LogRecord:
    record = logging.LogRecord("calls.consumers", logging.WARNING, __file__, 1, message, args, None)
    logs.ContextFilter().filter(record)
    return record


def test_json_log_lines_carry_the_request_and_call_ids():
    logs.bind_request("req-abcdef123")
    logs.bind_call(42)
    try:
        line = json.loads(logs.JsonFormatter().format(_record("call %s went %s", 42, "active")))
    finally:
        logs.bind_call(None)
        logs.request_id.set(None)
    assert line["message"] == "call 42 went active"
    assert (line["request_id"], line["call_id"], line["level"], line["logger"]) == (
        "req-abcdef123",
        42,
        "WARNING",
        "calls.consumers",
    )


@pytest.mark.parametrize("formatter", [logs.JsonFormatter(), logs.PlainFormatter("%(message)s")])
def test_log_lines_never_carry_a_token_or_credential(formatter):
    text = formatter.format(
        _record("GET /ws/consumer/?token=eyJhbGciOi.secret-part&x=1 Authorization: Bearer abc123 password=hunter2")
    )
    for secret in ("eyJhbGciOi", "secret-part", "abc123", "hunter2"):
        assert secret not in text
    assert "/ws/consumer/?token=[redacted]" in text
    reset = formatter.format(_record("Not Found: /accounts/password/reset/MTI/cbk8x2-6f1e0c0ffee/"))
    assert "cbk8x2" not in reset and "/accounts/password/reset/[redacted]/" in reset


@pytest.mark.django_db
def test_each_response_names_its_request_id():
    offered = Client().get("/healthz", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert offered["X-Request-ID"] == "0123456789abcdef0123456789abcdef"  # nginx's $request_id kept
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert forged["X-Request-ID"] != "<script>alert(1)</script>" and len(forged["X-Request-ID"]) == 32
    assert Client().get("/healthz")["X-Request-ID"] != Client().get("/healthz")["X-Request-ID"]


# --- deploy/ ----------------------------------------------------------------------------------------


def _site(tmp_path: Path, **overrides) -> str:
    options = {
        "listen": "127.0.0.1:8443",
        "server_name": "localhost",
        "upstreams": ["127.0.0.1:8001", "127.0.0.1:8002"],
        "cert": tmp_path / "cert.pem",
        "key": tmp_path / "key.pem",
        "static_root": tmp_path / "static",
        "log_dir": tmp_path,
        **overrides,
    }
    return deploy_stack.render_nginx_site(**options)


def test_the_nginx_site_has_the_limits_and_never_logs_query_strings(tmp_path):
    site = _site(tmp_path)
    assert "server 127.0.0.1:8001 " in site and "server 127.0.0.1:8002 " in site
    assert "limit_req zone=vvc_ws_connect" in site and "limit_conn vvc_ws_open" in site
    assert "client_max_body_size 1m;" in site
    assert "location = /healthz" in site
    log_format = site.split("log_format", 1)[1].split(";", 1)[0]
    assert '"path":"$vvc_log_path"' in log_format  # $uri (no query string), reset tokens masked
    assert "$request_uri" not in log_format and "$args" not in log_format
    assert '$request"' not in log_format and "$request " not in log_format
    assert "~^/accounts/password/reset/[^/]+/[^/]+/  /accounts/password/reset/[redacted]/;" in site


@pytest.mark.parametrize(
    "bad",
    [
        {"upstreams": []},
        {"upstreams": ["127.0.0.1:8001; include /etc/passwd"]},
        {"server_name": "x; return 200"},
    ],
)
def test_the_nginx_site_refuses_bad_values(tmp_path, bad):
    with pytest.raises(ValueError):
        _site(tmp_path, **bad)


def test_render_nginx_command_fails_with_a_message(capsys):
    code = deploy_stack.main(
        ["render-nginx", "--server-name", "calls.example.com", "--daphne", "nowhere", "--cert", "c", "--key", "k",
         "--static", "/srv/static"]
    )  # fmt: skip
    assert code == 2
    assert "not a host:port" in capsys.readouterr().err


def test_nginx_accepts_the_rendered_site(tmp_path):
    require_service(
        "nginx", shutil.which("nginx") is not None or Path(deploy_stack.NGINX).exists(), "apt-get install nginx-light"
    )
    cert, key = deploy_stack.self_signed(tmp_path / "tls")
    conf = deploy_stack.write_nginx(
        tmp_path / "nginx", port=18443, upstreams=["127.0.0.1:8001"], cert=cert, key=key, static_root=tmp_path
    )
    result = subprocess.run(
        [deploy_stack.NGINX, "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_stack_coturn_config_is_the_production_one_on_loopback(tmp_path):
    conf = deploy_stack.render_turn_conf(run_dir=tmp_path, port=3478, secret="s", cert=Path("c"), key=Path("k"))
    text = conf.read_text()
    assert "listening-ip=127.0.0.1" in text and "static-auth-secret=s" in text
    options = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert not [line for line in options if "allow-loopback-peers" in line]  # the production hardening stays
    assert "denied-peer-ip=10.0.0.0-10.255.255.255" in text


# --- sharded channel layer --------------------------------------------------------------------------


async def test_the_relay_publisher_picks_the_shard_the_layer_subscribes_on(settings):
    hosts = ["redis://127.0.0.1:1/0", "redis://127.0.0.1:2/0", "redis://127.0.0.1:3/0"]
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": hosts}}
    }
    assert relaybus.layer_redis_urls() == hosts
    layer = RedisPubSubChannelLayer(hosts=hosts)._get_layer()  # nothing connects until used
    prefix = layer._get_group_channel_name("")
    used = set()
    for n in range(300):
        channel = prefix + f"agent.{n}"
        expected = layer._shards.index(layer._get_shard(channel))
        assert relaybus.shard_index(channel, len(hosts)) == expected
        used.add(expected)
    assert used == {0, 1, 2}


def test_only_plain_addresses_go_through_the_relay_publisher(settings):
    layer = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"}
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {"hosts": [{"address": "redis://a:1", "db": 2}]}}}
    assert relaybus.layer_redis_urls() is None  # anything but a plain address: the layer's own group_send
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {"hosts": [{"address": "redis://a:1"}, "redis://b:2"]}}}
    assert relaybus.layer_redis_urls() == ["redis://a:1", "redis://b:2"]
