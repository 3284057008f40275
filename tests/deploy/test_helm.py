"""The Helm chart, linted and rendered by a real ``helm`` over the value sets in its ``ci/``.

``make tools`` installs helm into ``.cache/bin`` (``go install``, the version in the
Makefile). The rendered objects are checked against the code they come from: the
worker roles and principals, the catalogue, and the single sources in ``deploy/``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.catalogue import load_catalogue
from bus.kube.helm import HELM_FILE, chart_principals
from bus.kube.strimzi import bindings_of, strimzi_resources
from bus.security.principals import COMPONENTS, ROLES, all_bindings, principals, worker_app_id
from bus.settings import PROJECT_ROOT, Settings

HELM = PROJECT_ROOT / ".cache" / "bin" / "helm"
CHART = PROJECT_ROOT / "deploy" / "helm" / "agency-bus"
VALUE_SETS = sorted((CHART / "ci").glob("*-values.yaml"))
MINIMAL, FULL = CHART / "ci" / "minimal-values.yaml", CHART / "ci" / "full-values.yaml"
DEPLOY = PROJECT_ROOT / "deploy"
Obj = dict[str, Any]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if not HELM.is_file():
        pytest.fail("helm is not installed: run `make tools` (part of `make test`)")
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, timeout=120, check=False
    )


def render(
    *values: Path, sets: dict[str, str] | None = None, files: dict[str, Path] | None = None
) -> list[Obj]:
    args = ["template", "rel", str(CHART)]
    args += [f"--values={path}" for path in values]
    args += [f"--set={key}={value}" for key, value in (sets or {}).items()]
    args += [f"--set-file={key}={path}" for key, path in (files or {}).items()]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def refused(*values: Path, sets: dict[str, str], files: dict[str, Path] | None = None) -> str:
    args = ["template", "rel", str(CHART), *(f"--values={p}" for p in values)]
    args += [f"--set-file={key}={path}" for key, path in (files or {}).items()]
    result = helm(*args, *(f"--set={k}={v}" for k, v in sets.items()))
    assert result.returncode != 0, "helm rendered values it should refuse"
    return result.stderr


def of_kind(objects: list[Obj], *kinds: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] in kinds}


def workloads(objects: list[Obj]) -> dict[str, Obj]:
    return of_kind(objects, "Deployment", "StatefulSet")


def container(workload: Obj) -> Obj:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(only)


def env(workload: Obj) -> dict[str, Obj]:
    return {item["name"]: item for item in container(workload)["env"]}


@pytest.mark.parametrize("values", VALUE_SETS, ids=lambda path: path.name)
def test_helm_lint_passes_strictly_for_every_value_set(values: Path) -> None:
    linted = helm("lint", "--strict", str(CHART), f"--values={values}")
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_worker_per_role_runs_its_agents_under_its_own_principal_and_app_id() -> None:
    found = workloads(render(MINIMAL))
    defaults = Settings(app_id=Settings.model_fields["app_id"].default)
    for role, agents in ROLES.items():
        worker = found[f"rel-agency-bus-worker-{role}"]
        assert worker["kind"] == "StatefulSet"  # the pod name is its stable BUS_WORKER_ID
        variables = env(worker)
        assert variables["BUS_AGENTS"]["value"] == ",".join(agents)
        assert variables["BUS_APP_ID"]["value"] == worker_app_id(role, defaults)
        assert variables["BUS_SASL_USERNAME"]["value"] == role
        assert variables["BUS_SASL_PASSWORD"]["valueFrom"] == {
            "secretKeyRef": {"name": role, "key": "password"}
        }
        assert variables["BUS_WORKER_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
        assert container(worker)["args"] == ["worker"]
    auditor = env(found["rel-agency-bus-worker-auditor"])
    assert auditor["BUS_AUDIT_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]["name"] == (
        "agency-bus-audit-keys"
    )
    router = env(workloads(render(FULL))["rel-agency-bus-worker-router"])
    assert router["BUS_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == (
        "bus-router-credentials"
    )


def test_every_component_runs_as_the_principal_the_acls_grant() -> None:
    found = workloads(render(FULL))
    for component in ("registry", "gateway", "officials", "webhooks"):
        variables = env(found[f"rel-agency-bus-{component}"])
        assert variables["BUS_SASL_USERNAME"]["value"] == COMPONENTS[component]
    webhooks = env(found["rel-agency-bus-webhooks"])
    # its consumer groups (<app id>.webhooks.<code>) must start with its principal's name
    assert webhooks["BUS_APP_ID"]["value"].startswith(COMPONENTS["webhooks"])
    rasa = env(found["rel-agency-bus-rasa-tax-board"])
    assert rasa["BUS_SASL_USERNAME"]["value"] == "assistant-tax-board"
    assert container(found["rel-agency-bus-rasa-tax-board"])["args"][-2:] == [
        "--topic",
        "rasa_events",
    ]


def test_every_container_is_locked_down_probed_limited_and_given_no_secret_in_clear() -> None:
    for name, workload in workloads(render(FULL)).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        box = container(workload)
        security = box["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["runAsNonRoot"] is True, name
        assert box["resources"]["requests"], name
        ports = {port["name"] for port in box["ports"]}
        assert box["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert box["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert box["livenessProbe"]["httpGet"]["port"] in ports, name
        assert box["readinessProbe"]["httpGet"]["port"] in ports, name
        # the only writable places are volumes: BUS_HOME and /tmp
        mounts = {mount["mountPath"] for mount in box["volumeMounts"]}
        assert {"/var/lib/agency-bus", "/tmp"} <= mounts, name
        for variable in box["env"]:
            if re.search(r"PASSWORD|SECRET|_KEY$", variable["name"]):
                assert "value" not in variable, (name, variable["name"])


def test_on_tls_every_process_trusts_the_ca_from_its_secret_and_logs_in_to_the_registry() -> None:
    sets = {
        "kafka.securityProtocol": "SSL",
        "kafka.tls.caSecret": "agency-kafka-cluster-ca-cert",
        "schemaRegistry.credentialsSecret": "registry-user",
    }
    for name, workload in workloads(render(FULL, sets=sets)).items():
        variables = env(workload)
        assert variables["BUS_SECURITY_PROTOCOL"]["value"] == "SSL", name
        assert "BUS_SASL_USERNAME" not in variables, name  # SSL alone: no SASL login
        cafile = variables["BUS_SSL_CAFILE"]["value"]
        mounts = {m["mountPath"]: m["name"] for m in container(workload)["volumeMounts"]}
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
        folder, _, key = cafile.rpartition("/")
        assert key == "ca.crt", name
        assert volumes[mounts[folder]]["secret"]["secretName"] == "agency-kafka-cluster-ca-cert"
        for variable, secret_key in (
            ("BUS_SCHEMA_REGISTRY_USER", "username"),
            ("BUS_SCHEMA_REGISTRY_PASSWORD", "password"),
        ):
            ref = variables[variable]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "registry-user", "key": secret_key}, name
    sasl_ssl = workloads(render(FULL, sets={**sets, "kafka.securityProtocol": "SASL_SSL"}))
    assert all("BUS_SASL_PASSWORD" in env(w) for w in sasl_ssl.values())


def test_the_registry_requires_its_users_and_serves_https_from_secrets_and_is_called_so() -> None:
    sets = {"registry.usersSecret": "registry-users", "registry.tlsSecret": "registry-tls"}
    found = workloads(render(FULL, sets=sets))
    [registry] = [w for name, w in found.items() if name.endswith("-registry")]
    variables = {name: item["value"] for name, item in env(registry).items() if "value" in item}
    mounts = {m["mountPath"]: m["name"] for m in container(registry)["volumeMounts"]}
    volumes = {v["name"]: v for v in registry["spec"]["template"]["spec"]["volumes"]}
    for setting, secret in (
        ("BUS_REGISTRY_USERS", "registry-users"),
        ("BUS_REGISTRY_CERTFILE", "registry-tls"),
        ("BUS_REGISTRY_KEYFILE", "registry-tls"),
    ):
        folder = variables[setting].rpartition("/")[0]
        assert volumes[mounts[folder]]["secret"]["secretName"] == secret, setting
    box = container(registry)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert box[probe]["httpGet"]["scheme"] == "HTTPS", probe
    for name, workload in found.items():
        assert env(workload)["BUS_SCHEMA_REGISTRY_URL"]["value"].startswith("https://"), name
    plain = workloads(render(FULL))
    for name, workload in plain.items():
        assert container(workload)["readinessProbe"]["httpGet"]["scheme"] == "HTTP", name
        assert "BUS_REGISTRY_USERS" not in env(workload), name


def test_components_are_switched_on_and_off_by_their_values() -> None:
    minimal = workloads(render(MINIMAL))
    assert set(minimal) == {
        "rel-agency-bus-registry",
        "rel-agency-bus-worker-router",
        "rel-agency-bus-worker-auditor",
        "rel-agency-bus-worker-escalator",
    }
    full = workloads(render(FULL))
    assert {
        "rel-agency-bus-gateway",
        "rel-agency-bus-officials",
        "rel-agency-bus-webhooks",
        "rel-agency-bus-rasa-tax-board",
        "rel-agency-bus-rasa-police",
    } <= set(full)
    fewer = render(
        MINIMAL,
        sets={
            "workers.escalator.enabled": "false",
            "registry.enabled": "false",
            "schemaRegistry.url": "http://registry.example:8081",
        },
    )
    assert "rel-agency-bus-worker-escalator" not in workloads(fewer)
    assert "rel-agency-bus-registry" not in workloads(fewer)
    router = env(workloads(fewer)["rel-agency-bus-worker-router"])
    assert router["BUS_SCHEMA_REGISTRY_URL"]["value"] == "http://registry.example:8081"
    assert "audit.keysSecret is required" in refused(MINIMAL, sets={"audit.keysSecret": ""})


def test_the_catalogue_configmap_is_the_file_given_or_the_example(tmp_path: Path) -> None:
    def catalogue(objects: list[Obj]) -> str:
        return str(
            of_kind(objects, "ConfigMap")["rel-agency-bus-catalogue"]["data"]["agencies.yaml"]
        )

    example = (DEPLOY / "catalogue" / "agencies.yaml").read_text()
    assert catalogue(render(MINIMAL)) == example.rstrip("\n")
    own = tmp_path / "agencies.yaml"
    own.write_text(example.replace("Tax and Customs Board", "Tax Board"))
    changed = render(MINIMAL, files={"catalogue": own})
    assert catalogue(changed) == own.read_text().rstrip("\n")
    # a new catalogue rolls every pod: its checksum is in the pod template
    before = workloads(render(MINIMAL))["rel-agency-bus-registry"]
    after = workloads(changed)["rel-agency-bus-registry"]
    key = "checksum/catalogue"
    assert (
        before["spec"]["template"]["metadata"]["annotations"][key]
        != (after["spec"]["template"]["metadata"]["annotations"][key])
    )


def _jobs_in_alerts(groups: list[Obj]) -> set[str]:
    found: set[str] = set()
    for group in groups:
        for rule in group["rules"]:
            for match in re.finditer(r'job=~?"([^"]+)"', rule["expr"]):
                found |= set(match.group(1).split("|"))
    return found


def test_monitoring_comes_from_the_single_sources_in_deploy() -> None:
    objects = render(FULL)
    (rule,) = of_kind(objects, "PrometheusRule").values()
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert rule["spec"] == alerts
    dashboard = of_kind(objects, "ConfigMap")["rel-agency-bus-dashboard"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    source = (DEPLOY / "grafana" / "dashboards" / "agency-bus.json").read_text()
    expected = json.loads(source.replace('"uid": "bus-prometheus"', '"uid": "prometheus"'))
    assert json.loads(dashboard["data"]["agency-bus.json"]) == expected
    (monitor,) = of_kind(objects, "ServiceMonitor").values()
    assert monitor["spec"]["jobLabel"] == "agency-bus/job"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    services = of_kind(objects, "Service").values()
    jobs = {service["metadata"]["labels"]["agency-bus/job"] for service in services}
    assert _jobs_in_alerts(alerts["groups"]) <= jobs
    scraped = {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]}
    for service in services:
        assert {port["name"] for port in service["spec"]["ports"]} & scraped


def test_the_chart_reads_the_single_sources_through_links_and_generated_files() -> None:
    for name, source in (
        ("alerts.yml", DEPLOY / "prometheus" / "alerts.yml"),
        ("agency-bus.json", DEPLOY / "grafana" / "dashboards" / "agency-bus.json"),
        ("agencies.yaml", DEPLOY / "catalogue" / "agencies.yaml"),
    ):
        link = CHART / "files" / name
        assert link.is_symlink(), f"{link} must link to {source}, not copy it"
        assert link.resolve() == source.resolve()
    generated = json.loads((PROJECT_ROOT / HELM_FILE).read_text())
    defaults = Settings(app_id=Settings.model_fields["app_id"].default)
    assert generated == chart_principals(defaults), (
        f"{HELM_FILE} is stale: run `bus catalogue export --helm --out {HELM_FILE}`"
    )


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"kafka.securityProtocol": "TLS"}, "kafka/securityProtocol"),
        ({"securityContext.readOnlyRootFilesystem": "false"}, "readOnlyRootFilesystem"),
        ({"workers.router.replicas": "-1"}, "workers/router/replicas"),
        ({"kafka.bootstrapServers": "kafka"}, "kafka/bootstrapServers"),
        ({"rasaBridges.bridges[0].authority": "Tax Board"}, "bridges/0/authority"),
        ({"gateway.enabled": "true", "gateway.clients": "null"}, "gateway.clients is required"),
    ],
)
def test_values_the_schema_or_the_templates_refuse(sets: dict[str, str], message: str) -> None:
    assert message in refused(MINIMAL, sets=sets)


STRIMZI = {"strimzi.enabled": "true", "strimzi.cluster": "agency"}


def _strimzi_export(
    folder: Path, catalogue: Path | None = None, app_id: str = "agency-bus"
) -> Path:
    """What an operator runs: ``bus catalogue export --strimzi`` for the chart's catalogue."""
    path = catalogue or DEPLOY / "catalogue" / "agencies.yaml"
    settings = Settings(app_id=app_id)
    resources = strimzi_resources(load_catalogue(path), settings, path.read_bytes())
    out = folder / f"strimzi-{app_id}.yaml"
    out.write_text(yaml.safe_dump(resources, sort_keys=False))
    return out


def test_with_strimzi_the_chart_creates_the_topics_and_users_of_the_export(tmp_path: Path) -> None:
    files = {"strimzi.resources": _strimzi_export(tmp_path)}
    objects = render(MINIMAL, sets=STRIMZI, files=files)
    kafka = [o for o in objects if o["kind"] in ("KafkaTopic", "KafkaUser")]
    assert all(o["metadata"]["labels"]["strimzi.io/cluster"] == "agency" for o in kafka)
    settings = Settings(app_id="agency-bus")
    catalogue = load_catalogue(DEPLOY / "catalogue" / "agencies.yaml")
    assert bindings_of({"items": kafka}) == set(all_bindings(principals(catalogue, settings)))
    topics = {o["spec"]["topicName"] for o in kafka if o["kind"] == "KafkaTopic"}
    assert topics == {spec.name for spec in catalogue.topic_specs()}
    # every password the workloads read is the Secret Strimzi writes for that user
    users = {o["metadata"]["name"] for o in kafka if o["kind"] == "KafkaUser"}
    for name, workload in workloads(objects).items():
        secret = env(workload)["BUS_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": env(workload)["BUS_SASL_USERNAME"]["value"], "key": "password"}
        assert secret["name"] in users, name
    args = [f"--values={MINIMAL}", *(f"--set={k}={v}" for k, v in STRIMZI.items())]
    linted = helm(
        "lint",
        "--strict",
        str(CHART),
        *args,
        f"--set-file=strimzi.resources={files['strimzi.resources']}",
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "strimzi.resources is required" in refused(MINIMAL, sets=STRIMZI)


def test_the_chart_refuses_strimzi_resources_of_another_catalogue_or_app_id(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load((DEPLOY / "catalogue" / "agencies.yaml").read_text())
    document["authorities"].append({"code": "environment", "name": "Environmental Board"})
    other = tmp_path / "agencies.yaml"
    other.write_text(yaml.safe_dump(document))
    stale = {"strimzi.resources": _strimzi_export(tmp_path, other)}
    assert "agency-bus/catalogue-sha256" in refused(MINIMAL, sets=STRIMZI, files=stale)
    # the same catalogue given to the chart too: accepted, with the new authority's users
    both = {**stale, "catalogue": other}
    users = {o["metadata"]["name"] for o in render(MINIMAL, sets=STRIMZI, files=both)}
    assert {"service-environment", "assistant-environment"} <= users
    renamed = {"strimzi.resources": _strimzi_export(tmp_path, app_id="bus-prod")}
    assert "agency-bus/app-id" in refused(MINIMAL, sets=STRIMZI, files=renamed)
    accepted = render(MINIMAL, sets={**STRIMZI, "workers.router.appId": "bus-prod"}, files=renamed)
    router = env(workloads(accepted)["rel-agency-bus-worker-router"])
    assert router["BUS_APP_ID"]["value"] == "bus-prod"
    no_cluster = {"strimzi.enabled": "true"}
    plain = {"strimzi.resources": _strimzi_export(tmp_path)}
    assert "strimzi.cluster is required" in refused(MINIMAL, sets=no_cluster, files=plain)
