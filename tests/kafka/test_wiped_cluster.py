"""A cluster whose data is wiped under running processes: a few log lines, then service again.

The registry, the officials' API and the gateway run as real processes on a broker of this
test only; the broker is stopped, its data folder deleted and the broker
started again on the same port, as an operator resetting a development
cluster would. Each process must say so in a few lines (aiokafka logged
``Topic ... not found in cluster metadata`` thousands of times a second), the
registry must make its topic again and take registrations, and the officials'
API and the gateway must turn ready again once the topics are back.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bus.kafka.local import free_port
from bus.supervise import Service, run_bus, start_bus

from ..conftest import Api, Officials
from ..probes import OwnBroker, connector_files, get_json, until_status

QUIET_LINES = 100
"""More log lines than a process may write about the wipe (it wrote thousands a second)."""
SETTLE_S = 15.0
"""How long the wiped cluster is left without topics before the lines are counted."""


def _lines(service: Service) -> int:
    return len(service.log_file.read_text(errors="replace").splitlines())


@pytest.mark.broker
@pytest.mark.slow
def test_wiped_data_is_logged_once_and_the_registry_and_officials_recover(
    own_broker: OwnBroker, catalogue_path: Path, tmp_path: Path
) -> None:
    officials = Officials.write(tmp_path / "officials.yaml")
    clients, secrets = connector_files(catalogue_path, tmp_path, "WIPED")
    registry_port, officials_port, gateway_port = free_port(), free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    registry_url = f"http://127.0.0.1:{registry_port}"
    env = {
        "BUS_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": registry_url,
        "BUS_CATALOGUE": str(catalogue_path),
        "BUS_OFFICIALS": str(officials.path),
        **secrets,
    }
    assert run_bus("topics", "apply", env=env).returncode == 0
    logs = tmp_path / "logs"
    registry = start_bus("registry", ["registry", "serve", "--port", str(registry_port)], env, logs)
    server: Service | None = None
    gateway: Service | None = None
    try:
        until_status(registry_url + "/readyz", 200, timeout_s=60)
        registered = run_bus("schemas", "register", env=env)
        assert registered.returncode == 0, registered.stderr
        args = ["officials", "serve", "--port", str(officials_port)]
        server = start_bus("officials", args, env, logs)
        api = Api(f"http://127.0.0.1:{officials_port}", officials)
        until_status(api.url + "/readyz", 200, timeout_s=120)
        args = ["gateway", "serve", "--port", str(gateway_port), "--clients", str(clients)]
        gateway = start_bus("gateway", args, env, logs)
        until_status(gateway_url + "/readyz", 200, timeout_s=120)

        own_broker("stop")
        shutil.rmtree(own_broker.folder / "data")
        own_broker("start")
        # first "Kafka does not answer" while the broker restarts, then its topics are gone
        until_status(api.url + "/readyz", 503, timeout_s=60, saying="reading")
        until_status(gateway_url + "/readyz", 503, timeout_s=60)
        time.sleep(SETTLE_S)  # the flood came at once and never stopped
        for service in (registry, server, gateway):
            assert _lines(service) < QUIET_LINES, service.log_tail(QUIET_LINES)
        assert server.logged("are gone from Kafka"), server.log_tail()

        status, subjects = get_json(registry_url + "/subjects")
        assert (status, subjects) == (200, []), "the registry serves its topic, made again empty"
        assert registry.logged("registry topic '_schemas' is missing"), registry.log_tail()
        again = run_bus("schemas", "register", env=env)
        assert again.returncode == 0, again.stderr
        listed = run_bus("schemas", "list", env=env)
        assert "gov.agencybus.escalation.CaseOpened" in listed.stdout, listed.stderr

        assert run_bus("topics", "apply", env=env).returncode == 0
        until_status(api.url + "/readyz", 200, timeout_s=120)
        until_status(gateway_url + "/readyz", 200, timeout_s=120)
        status, queue = api.call("GET", "/api/cases", "anna")
        assert (status, queue["cases"]) == (200, []), "the view starts over with the topics"
        assert server.logged("topics back"), server.log_tail()
        for service in (registry, server, gateway):
            assert service.running, service.log_tail()
            assert _lines(service) < QUIET_LINES, service.log_tail(QUIET_LINES)
    finally:
        for started in (gateway, server):
            if started is not None:
                started.stop()
        registry.stop()
