"""The local cluster's layout and the CLI's checks, without starting a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.errors import LocalKafkaError
from bus.kafka.cluster import CLUSTER_PORT, LocalCluster
from bus.kafka.local import LocalKafka, SaslAdmin, free_port
from bus.supervise import run_bus


def test_cluster_nodes_have_their_own_ports_and_folders_apart_from_the_single_node(
    tmp_path: Path,
) -> None:
    cluster = LocalCluster(tmp_path)
    assert [node.port for node in cluster.nodes] == [
        CLUSTER_PORT,
        CLUSTER_PORT + 1,
        CLUSTER_PORT + 2,
    ]
    folders = {node.node_dir for node in cluster.nodes}
    assert len(folders) == 3 and LocalKafka(tmp_path).node_dir == tmp_path / "kafka" / "node-9092"
    assert LocalKafka(tmp_path).node_dir not in folders
    voters = {node.quorum.voters for node in cluster.nodes if node.quorum}
    assert len(voters) == 1 and voters.pop().count("@127.0.0.1:") == 3


def test_the_cluster_layout_is_kept_for_later_commands(tmp_path: Path) -> None:
    first, again = LocalCluster(tmp_path, 30000), LocalCluster(tmp_path, 30000)
    assert [n.quorum for n in first.nodes] == [n.quorum for n in again.nodes]


def test_a_secured_node_writes_scram_listeners_and_the_standard_authorizer(tmp_path: Path) -> None:
    node = LocalKafka(tmp_path, 30100, sasl=SaslAdmin("admin", "pw"))
    node.node_dir.mkdir(parents=True)
    node._write_config()
    config = node.config_file.read_text()
    assert "listeners=SASL_PLAINTEXT://127.0.0.1:30100," in config
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in config
    assert "super.users=User:admin" in config and "allow.everyone.if.no.acl.found=false" in config
    assert node.config_file.stat().st_mode & 0o077 == 0


def test_sasl_without_the_super_users_credentials_is_a_clear_error(tmp_path: Path) -> None:
    result = run_bus(
        "kafka",
        "start",
        "--sasl",
        "--data-dir",
        str(tmp_path),
        env={"BUS_SASL_USERNAME": "", "BUS_SASL_PASSWORD": ""},
    )
    assert result.returncode == 2 and "BUS_SASL_USERNAME" in result.stderr


def test_a_tls_node_lists_tls_listeners_everywhere_and_no_plaintext(tmp_path: Path) -> None:
    node = LocalKafka(tmp_path, 30200, tls=True)
    node.node_dir.mkdir(parents=True)
    node._write_config()
    config = node.config_file.read_text()
    assert "listeners=SSL://127.0.0.1:30200,CONTROLLER://127.0.0.1:" in config
    assert "listener.security.protocol.map=SSL:SSL,CONTROLLER:SSL" in config
    assert "PLAINTEXT" not in config
    assert "ssl.keystore.type=PEM" in config and "-----BEGIN PRIVATE KEY-----\\n" in config
    assert node.client_security["security_protocol"] == "SSL"


def test_a_cluster_shares_one_ca_and_sasl_tls_names_its_scram_listener(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path, 30300, sasl=SaslAdmin("admin", "pw"), tls=True)
    assert {node.ca_file for node in cluster.nodes} == {cluster.dir / "tls" / "ca.pem"}
    node = cluster.nodes[0]
    node.node_dir.mkdir(parents=True)
    node._write_config()
    config = node.config_file.read_text()
    assert "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=" in config
    assert "advertised.listeners=SASL_SSL://127.0.0.1:30300" in config


def test_a_node_set_up_with_tls_does_not_start_without_it(tmp_path: Path) -> None:
    node = LocalKafka(tmp_path, free_port(), data_dir=tmp_path / "node", tls=True)
    (node.data_dir).mkdir(parents=True)
    (node.node_dir / "security").write_text("SSL")
    (node.data_dir / "meta.properties").write_text("version=1\n")
    plain = LocalKafka(tmp_path, node.port, data_dir=node.node_dir)
    with pytest.raises(LocalKafkaError, match="set up SSL, not PLAINTEXT"):
        plain.launch()
