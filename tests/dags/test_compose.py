"""docker-compose.yml cannot run here (no Docker engine): check its structure. The same topology (PostgreSQL,
api-server, scheduler, dag-processor, triggerer as separate processes) runs natively in
tests/test_airflow_scheduler_e2e.py (which also checks that the API needs a login and that every port the
processes open is on 127.0.0.1).

Security (issue "Security…", item 6): no secret has a default or a literal value in docker-compose.yml,
.env.example, the scripts or the Makefile; every published port is on 127.0.0.1; no switch turns authentication
off; Flower, Redis and PostgreSQL need a password; the local script generates its secrets into private files."""

from __future__ import annotations

import os
import re
import stat
import subprocess

import pytest
import yaml
from airflow_support import REPO

COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
CORE = {"postgres", "airflow-init", "api-server", "scheduler", "dag-processor", "triggerer"}
AIRFLOW = {"airflow-init", "api-server", "scheduler", "dag-processor", "triggerer", "airflow-worker", "flower"}
LOCAL_SCRIPT = REPO / "scripts" / "airflow-local.sh"
SHELL_FILES = [LOCAL_SCRIPT, REPO / "scripts" / "airflow-demo.sh", REPO / "Makefile"]
SECRET_KEY_RE = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$|AUTH$|WEBHOOK$", re.IGNORECASE)
REQUIRED_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]+\}")
DEFAULTED_VAR_RE = re.compile(r"\$\{([A-Za-z0-9_]+):?[-=]([^}]*)\}")  # ${VAR:-default}, ${VAR-default}, ${VAR:=…}
# Settings that switch the API's authentication off or expose internals: absent, or pinned to False.
AUTH_OFF = (
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS",
    "AIRFLOW__API__EXPOSE_CONFIG",
    "AIRFLOW__API__EXPOSE_STACKTRACE",
    "AIRFLOW__WEBSERVER__EXPOSE_CONFIG",
    "AIRFLOW__WEBSERVER__EXPOSE_STACKTRACE",
)
PINNED_OFF = AUTH_OFF[:3]
# The one literal "secret" allowed: a public key that says it is one (the demos' PII key, hotline/secrets.py).
DEMO_ONLY = "demo-only-"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env(service: dict) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_services_and_profiles(services):
    assert CORE | {"redis", "airflow-worker", "flower"} == set(services)
    for name in CORE:
        assert not services[name].get("profiles"), f"{name} must run by default"
    assert services["redis"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["profiles"] == ["celery"]
    assert services["flower"]["profiles"] == ["flower"]  # optional on top of celery


def test_airflow_commands_and_executor(services):
    assert {services[s]["command"] for s in ("api-server", "scheduler", "dag-processor", "triggerer")} == {
        "api-server",
        "scheduler",
        "dag-processor",
        "triggerer",
    }
    assert services["airflow-worker"]["command"] == "celery worker"
    env = _env(services["scheduler"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:?")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://api-server:8080/execution/"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/hotline/dags" and env["PYTHONPATH"] == "/opt/hotline/include"
    init = services["airflow-init"]["command"][-1]
    assert "airflow db migrate" in init and "airflow pools set hotline_duckdb 1" in init
    assert "hotline.orchestration.dbt manifest" in init


def test_project_mounted_and_ports_local(services):
    for name in AIRFLOW:
        assert "./:/opt/hotline" in services[name]["volumes"], name
    assert services["api-server"]["ports"] == ["127.0.0.1:8080:8080"]
    assert all(p.startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))


def test_healthchecks(services):
    for name, s in services.items():
        if name == "airflow-init":
            continue
        hc = s.get("healthcheck") or {}
        assert hc.get("test") and not hc.get("disable"), f"{name} has no health check"
        assert hc.get("interval") and hc.get("retries"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/api/v2/monitor/health" in " ".join(services["api-server"]["healthcheck"]["test"])
    assert "TriggererJob" in " ".join(services["triggerer"]["healthcheck"]["test"])
    assert "DagProcessorJob" in " ".join(services["dag-processor"]["healthcheck"]["test"])


def test_startup_order(services):
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        dep = services[name]["depends_on"]
        assert dep["postgres"]["condition"] == "service_healthy", name
        assert dep["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_secrets_come_from_the_env_file(services):
    for name in AIRFLOW:
        env_file = services[name]["env_file"]
        assert any((e.get("path") if isinstance(e, dict) else e) == ".env" for e in env_file), name
    # PostgreSQL and Redis get only their own password (interpolated), not every secret of .env
    assert "env_file" not in services["postgres"] and "env_file" not in services["redis"]
    for name, s in services.items():
        for key, raw in _env(s).items():
            value = str(raw)
            if SECRET_KEY_RE.search(key):
                assert REQUIRED_VAR_RE.fullmatch(value), f"{name}: {key} must be ${{VAR:?…}}, not {value!r}"
            if "://" in value and "@" in value:  # credentials inside a URL
                creds = value.split("://", 1)[1].split("@", 1)[0]
                assert ":" not in creds or REQUIRED_VAR_RE.search(creds), f"{name}: literal password in {key}"


def test_no_literal_passwords_anywhere():
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"(?i)(password|secret|fernet)[^:=]*[:=]\s*\S", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"literal secret? {line.strip()}"
    assert "--requirepass" in text and "${REDIS_PASSWORD:?" in text


def test_env_example_documents_every_variable_and_holds_no_secret():
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(REQUIRED_VAR_RE.findall(text)) | set(re.findall(r"\$\{([A-Z0-9_]+):-", text))
    example = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    assert used <= set(example), f"not in .env.example: {sorted(used - set(example))}"
    for key, value in example.items():
        if SECRET_KEY_RE.search(key):
            assert value == "", f".env.example must not ship a value for {key}"


# ------------------------------------------------------------------------------------------------ security
def _env_example() -> dict[str, str]:
    example = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    return example


def _shell_assignments(text: str):
    """(name, value) of every `NAME=value` / `export NAME=value` / `local NAME=value` / make `NAME ?= value`."""
    for line in text.splitlines():
        m = re.match(r"\s*(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[?:]?=\s*(.*)$", line)
        if m and not line.lstrip().startswith("#"):
            yield m.group(1), m.group(2).strip()


def test_every_published_port_is_on_loopback(services):
    published = {}
    for name, s in services.items():
        for p in s.get("ports") or []:
            host_ip = p.get("host_ip") if isinstance(p, dict) else str(p).split(":")[0]
            assert host_ip == "127.0.0.1", f"{name}: port {p!r} is not bound to 127.0.0.1"
            published.setdefault(name, []).append(p)
        assert s.get("network_mode") != "host", f"{name} shares the host's network"
        assert "expose" not in s, name
    # PostgreSQL, Redis and the log servers stay on the compose network
    assert set(published) == {"api-server", "flower"}, published


def test_no_secret_has_a_default():
    for path in (COMPOSE, *SHELL_FILES):
        text = path.read_text(encoding="utf-8")
        for var, default in DEFAULTED_VAR_RE.findall(text):
            assert not SECRET_KEY_RE.search(var), f"{path.name}: ${{{var}}} falls back to a default"
            assert not re.search(r"://[^/@\s]*:[^/@\s]*@", default), f"{path.name}: credentials in {var}'s default"
    # make's `VAR ?= default` (also as a target-specific variable): only a key that says it is demo-only
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    defined = dict(_shell_assignments(makefile))
    for var, default in re.findall(r"(?m)^[^#\n]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\?=\s*(.*)$", makefile):
        if SECRET_KEY_RE.search(var):
            resolved = re.sub(r"\$[({](\w+)[)}]", lambda m: defined.get(m.group(1), ""), default.strip())
            assert resolved.startswith(DEMO_ONLY), f"Makefile: {var} ?= {default} (a secret with a default)"
    compose_text = COMPOSE.read_text(encoding="utf-8")
    for var in (
        "POSTGRES_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_API_SECRET_KEY",
        "AIRFLOW_FERNET_KEY",
        "REDIS_PASSWORD",
        "FLOWER_BASIC_AUTH",
    ):
        assert f"${{{var}:?" in compose_text and not re.search(rf"\$\{{{var}(?!:\?)", compose_text), var


def test_no_literal_secret_in_the_scripts():
    for path in SHELL_FILES:
        for name, raw in _shell_assignments(path.read_text(encoding="utf-8")):
            if SECRET_KEY_RE.search(name):
                value = raw.strip("\"'")
                assert value == "" or value.startswith(("$", DEMO_ONLY)), f"{path.name}: literal value for {name}"


def test_no_switch_turns_authentication_off(services):
    for name, s in services.items():
        env = _env(s)
        for key in AUTH_OFF:
            assert str(env.get(key, "False")).lower() == "false", f"{name}: {key}={env[key]}"
        assert "POSTGRES_HOST_AUTH_METHOD" not in env, name
    for name in AIRFLOW:  # pinned in the environment, which wins over anything in .env
        assert {k: _env(services[name]).get(k) for k in PINNED_OFF} == dict.fromkeys(PINNED_OFF, "False"), name
    assert not set(AUTH_OFF) & set(_env_example()), ".env.example must not carry auth switches"
    for path in SHELL_FILES:
        for key, value in _shell_assignments(path.read_text(encoding="utf-8")):
            if key in AUTH_OFF:
                assert value.strip("\"'").lower() == "false", f"{path.name}: {key}={value}"
    local = dict(_shell_assignments(LOCAL_SCRIPT.read_text(encoding="utf-8")))
    assert all(local.get(k) == "False" for k in PINNED_OFF), {k: local.get(k) for k in PINNED_OFF}


def test_flower_requires_a_login(services):
    flower = services["flower"]
    env = _env(flower)
    assert REQUIRED_VAR_RE.fullmatch(env["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"])
    assert "FLOWER_BASIC_AUTH:?" in env["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"]
    assert env["AIRFLOW__CELERY__BROKER_URL"] == _env(services["scheduler"])["AIRFLOW__CELERY__BROKER_URL"]
    # the health check must not need the login: Flower's /healthcheck is the one page without it
    assert "http://localhost:5555/healthcheck" in flower["healthcheck"]["test"]
    assert "FLOWER_BASIC_AUTH" in _env_example()


def test_redis_and_postgres_require_a_password(services):
    redis = services["redis"]
    cmd = redis["command"]
    assert REQUIRED_VAR_RE.fullmatch(cmd[cmd.index("--requirepass") + 1])
    assert "--protected-mode" not in cmd and "ports" not in redis
    assert REQUIRED_VAR_RE.fullmatch(_env(redis)["REDISCLI_AUTH"])  # the health check authenticates
    pg = services["postgres"]
    assert REQUIRED_VAR_RE.fullmatch(_env(pg)["POSTGRES_PASSWORD"]) and "ports" not in pg


def test_env_example_leaves_every_secret_empty():
    example = _env_example()
    secrets = {k for k in example if SECRET_KEY_RE.search(k)}
    assert {
        "POSTGRES_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_API_SECRET_KEY",
        "AIRFLOW_FERNET_KEY",
        "REDIS_PASSWORD",
        "FLOWER_BASIC_AUTH",
        "HOTLINE_PII_KEY",
        "AIRFLOW__SMTP__SMTP_PASSWORD",
    } <= secrets
    assert {k: example[k] for k in secrets if example[k]} == {}


# ---- the local Airflow script (make airflow): setup_env() run on its own, nothing is started
def _local_setup_env(home) -> dict[str, str]:
    """Run the script's setup_env() for AIRFLOW_HOME=home with a loose umask; the environment it exports."""
    harness = r"""
set -euo pipefail
REPO="$1"; BIN="$REPO/.venv/bin"; export AIRFLOW_HOME="$2"; PORT=18080
RUN_DIR="$AIRFLOW_HOME/run"; LOG_DIR="$AIRFLOW_HOME/logs/components"
source <(sed -n '/^private_file()/p; /^component_args()/p; /^setup_env() {/,/^}/p' "$REPO/scripts/airflow-local.sh")
umask 022
setup_env
echo "COMPONENT_ARGS=scheduler:$(component_args scheduler),triggerer:$(component_args triggerer),"\
"api-server:$(component_args api-server)"
env -0
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    p = subprocess.run(
        ["bash", "-c", harness, "harness", str(REPO), str(home)], env=env, capture_output=True, timeout=60, check=False
    )
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    first, _, rest = p.stdout.decode().partition("\n")
    out = dict(item.split("=", 1) for item in rest.split("\0") if "=" in item)
    out["COMPONENT_ARGS"] = first.split("=", 1)[1]
    return out


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_local_script_generates_private_secrets(tmp_path):
    home, other = tmp_path / "home", tmp_path / "other"
    env = _local_setup_env(home)
    generated = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY")
    assert all(len(env[k]) >= 43 for k in generated), "secrets must be generated (32 random bytes)"
    secrets_env, pwfile = home / "secrets.env", home / "simple_auth_manager_passwords.json.generated"
    assert _mode(home) == 0o700 and _mode(secrets_env) == 0o600 and _mode(pwfile) == 0o600
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(pwfile)
    # another install gets other secrets; the same install keeps its own, and loose modes are tightened again
    assert all(_local_setup_env(other)[k] != env[k] for k in generated)
    for path in (home, secrets_env, pwfile):
        path.chmod(0o755 if path.is_dir() else 0o644)
    again = _local_setup_env(home)
    assert all(again[k] == env[k] for k in generated)
    assert _mode(home) == 0o700 and _mode(secrets_env) == 0o600 and _mode(pwfile) == 0o600
    # everything on 127.0.0.1, auth on, no log server listening on every interface
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__BASE_URL"].startswith("http://127.0.0.1:")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://127.0.0.1:")
    assert env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["COMPONENT_ARGS"] == "scheduler:--skip-serve-logs,triggerer:--skip-serve-logs,api-server:"


def test_local_script_prints_no_secret_but_the_ui_password():
    text = LOCAL_SCRIPT.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"set\s+-[a-z]*x|set\s+-o\s+xtrace|bash\s+-[a-z]*x", code), "no xtrace: it prints secrets"
    # the generated secrets are only ever sourced, never expanded into output
    assert not re.search(r"\$\{?AIRFLOW__(API_AUTH__JWT_SECRET|API__SECRET_KEY|CORE__FERNET_KEY)", code)
    assert not re.search(r"\b(cat|tail|head|less)\b[^\n]*secrets\.env", code)
    assert 'source "$secrets"' in code
    # component logs (the api-server logs the generated password) are created private before being written
    assert 'private_file "$LOG_DIR/$c.log"' in code
