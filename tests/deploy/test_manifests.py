"""deploy/: the Kubernetes manifests against the Flink Kubernetes Operator's own CRD schema, the
compose file against the Compose spec, and every newswire command line and NEWSWIRE_* variable
in them against the CLI (a dry run: what a container would be started with must parse)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from newswire.cli import _parser
from newswire.config import Settings, env_name
from newswire.maven import fetch_jars

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OPERATOR_VERSION = "1.10.0"
COMPOSE_SCHEMA_FROM = "docker-compose==1.29.2"  # its wheel carries compose_spec.json


@pytest.fixture(scope="module")
def flink_deployment_schema() -> dict:
    cache = Settings.from_env().cache_dir / f"flink-operator-api-{OPERATOR_VERSION}"
    jars = fetch_jars(
        DEPLOY / "k8s" / "operator-api-pom.xml",
        cache,
        f"the Flink Kubernetes Operator {OPERATOR_VERSION} API jar",
        {"operator.version": OPERATOR_VERSION},
    )
    (jar,) = jars.glob("flink-kubernetes-operator-api-*.jar")
    with zipfile.ZipFile(jar) as archive:
        crd = yaml.safe_load(
            archive.read("META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml")
        )
    (version,) = (v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    return version["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def compose_schema(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("compose-schema")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", COMPOSE_SCHEMA_FROM],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    (wheel,) = folder.glob("docker_compose-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return yaml.safe_load(archive.read("compose/config/compose_spec.json"))


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_flink_deployment_fits_the_operators_crd(flink_deployment_schema: dict) -> None:
    (deployment,) = _documents(DEPLOY / "k8s" / "flink-deployment.yaml")
    jsonschema.validate(deployment, flink_deployment_schema)
    assert deployment["spec"]["flinkVersion"] == "v1_19"  # the job server's Flink


def test_a_wrong_field_in_the_flink_deployment_is_caught(flink_deployment_schema: dict) -> None:
    (deployment,) = _documents(DEPLOY / "k8s" / "flink-deployment.yaml")
    deployment["spec"]["flinkVersion"] = "v1_99"
    with pytest.raises(jsonschema.ValidationError, match="v1_99"):
        jsonschema.validate(deployment, flink_deployment_schema)


def test_the_compose_file_fits_the_compose_spec(compose_schema: dict) -> None:
    (compose,) = _documents(DEPLOY / "compose" / "compose.yaml")
    jsonschema.validate(compose, compose_schema)
    for name, service in compose["services"].items():
        for needed in service.get("depends_on", []):
            assert needed in compose["services"], f"{name} depends on unknown {needed}"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def _containers() -> list[tuple[str, list[str], dict[str, str]]]:
    """Every container that runs newswire: (where, command, environment)."""
    found = []
    (compose,) = _documents(DEPLOY / "compose" / "compose.yaml")
    for name, service in compose["services"].items():
        command = service.get("command", [])
        found.append((f"compose {name}", command, service.get("environment", {})))
    for doc in _documents(DEPLOY / "k8s" / "newswire-job.yaml"):
        for container in doc["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e["value"] for e in container.get("env", [])}
            found.append((f"k8s {container['name']}", container["command"], env))
    return [c for c in found if isinstance(c[1], list) and c[1][:1] == ["newswire"]]


def test_every_newswire_command_and_variable_in_deploy_parses() -> None:
    containers = _containers()
    assert len(containers) == 2
    known = {env_name(name) for name in Settings.__dataclass_fields__}
    for where, command, env in containers:
        unknown = {name for name in env if name.startswith("NEWSWIRE_")} - known
        assert not unknown, f"{where}: no such setting {unknown}"
        args, extra = _parser().parse_known_args(command[1:])
        assert not extra, f"{where}: {extra}"
        settings = Settings.from_args(args, env)  # raises on a value of the wrong type
        assert settings.runner == "flink"
        assert settings.sdk_environment.startswith("EXTERNAL:")
