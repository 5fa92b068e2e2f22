"""The deployment files, checked as text: there is no Docker daemon on the development machine,
so the image is never built here and compose never started (docs/operations.md says so). What
can be checked is that the files agree with each other and with the code: the image installs
the hash-checked lock as a non-root user and probes /healthz on the port its config opens;
compose runs the bot beside PostgreSQL 15 with secrets from .env; the systemd unit is
hardened, restarts on failure and waits longer than the bot's bounded stop."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml

from bot.config import load_config
from bot.settings import SECRET_ENV
from fedbot.serving import SHUTDOWN_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1].strip() if len(parts) > 1 else "")
        for line in joined.splitlines()
        if (parts := line.strip().split(None, 1))
    ]


def _final_stage() -> list[tuple[str, str]]:
    steps = _dockerfile()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def _env(steps: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in steps:
        if op == "ENV":
            env |= dict(item.split("=", 1) for item in shlex.split(args))
    return env


def _container_config() -> dict:
    return tomllib.loads((ROOT / "deploy" / "fedbot.toml").read_text("utf-8"))


def test_the_image_is_slim_non_root_and_installs_the_locked_dependencies() -> None:
    steps = _dockerfile()
    assert [a.split()[0] for op, a in steps if op == "FROM"] == ["python:3.11-slim"] * 2
    installs = [a for op, a in steps if op == "RUN" and "pip install" in a]
    assert "--require-hashes" in installs[0] and "-r /tmp/requirements.lock" in installs[0]
    assert ("COPY", "requirements.lock /tmp/requirements.lock") in steps
    final = _final_stage()
    [user] = [a for op, a in final if op == "USER"]
    assert user not in ("root", "0")
    assert any(op == "RUN" and "useradd --system" in a and a.endswith(
        f"install -d -o {user} -g {user} -m 0700 /data") for op, a in final)  # fmt: skip
    assert ("ENTRYPOINT", '["fedbot"]') in final and ("CMD", '["run"]') in final
    assert ("VOLUME", '["/data"]') in final and _env(final)["XDG_DATA_HOME"] == "/data"


def test_the_image_copies_every_package_pyproject_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    copied = {a.split()[0] for op, a in _dockerfile() if op == "COPY" and not a.startswith("--")}
    assert set(packages) <= copied
    assert pyproject["project"]["readme"] in {c.split()[0] for c in copied} | {"README.md"}
    ignored = set((ROOT / ".dockerignore").read_text("utf-8").split())
    assert not ignored & {*packages, "pyproject.toml", "README.md", "requirements.lock", "deploy"}


def test_the_health_check_probes_healthz_on_the_port_the_config_opens() -> None:
    final = _final_stage()
    [check] = [a for op, a in final if op == "HEALTHCHECK"]
    assert '"$FEDBOT_HEALTH_URL"' in check
    http = _container_config()["http"]
    assert http["enabled"] is True and http["host"] == "0.0.0.0"
    assert _env(final)["FEDBOT_HEALTH_URL"] == f"http://127.0.0.1:{http['port']}/healthz"
    assert ("EXPOSE", str(http["port"])) in final
    config = load_config(ROOT / "deploy" / "fedbot.toml", env={})  # valid as it ships
    assert config.bot.log_format == "json"


def test_compose_runs_the_bot_beside_postgresql_15_with_secrets_from_env() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].startswith("postgres:15") and "healthcheck" in db
    assert bot["build"] == "." and bot["env_file"] == ".env"
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    url = bot["environment"]["FEDBOT_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://fedbot:${POSTGRES_PASSWORD}@db:5432/fedbot")
    config_path = bot["environment"]["FEDBOT_CONFIG"]
    assert f"./deploy/fedbot.toml:{config_path}:ro" in bot["volumes"]
    assert config_path == _env(_final_stage())["FEDBOT_CONFIG"]
    port = _container_config()["http"]["port"]
    assert bot["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert int(bot["stop_grace_period"].rstrip("s")) > SHUTDOWN_TIMEOUT


def test_env_example_names_every_variable_the_deployment_reads() -> None:
    example = (ROOT / ".env.example").read_text("utf-8")
    defined = set(re.findall(r"^#? ?([A-Z_]+)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text("utf-8")))
    assert used | set(SECRET_ENV.values()) | {"FEDBOT_DATABASE_URL"} <= defined
    assert not re.search(r"^[A-Z_]+=\S", example, re.M)  # no value ships filled in


def _unit() -> dict[str, list[str]]:
    """`Section.Key` -> values (systemd allows a key several times)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in (ROOT / "deploy" / "fedbot.service").read_text("utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(f"{section}.{key}", []).append(value)
    return found


def test_the_systemd_unit_is_hardened_and_outlasts_the_bounded_stop() -> None:
    unit = _unit()
    service = {k.split(".", 1)[1]: v[-1] for k, v in unit.items() if k.startswith("Service.")}
    assert service["ExecStart"].endswith("/fedbot run --log-format json")
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/fedbot/fedbot.env"
    assert service["DynamicUser"] == "yes" and service["StateDirectory"] == "fedbot"
    for key, value in {
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "UMask": "0077",
    }.items():
        assert service[key] == value, key
    assert "XDG_DATA_HOME=/var/lib" in unit["Service.Environment"]  # the StateDirectory
    assert int(service["TimeoutStopSec"]) > SHUTDOWN_TIMEOUT
    assert unit["Install.WantedBy"] == ["multi-user.target"]


def test_ci_installs_the_test_lock_with_hashes_before_the_readme_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    install = ".venv/bin/pip install -q --require-hashes -r requirements-test.lock"
    assert f"\n{install}\n" in ci
    assert ci.index(install) < ci.index('bash -c "$test_command"')
