"""Three KRaft nodes on loopback as one cluster, to test what happens when a broker dies.

Every node is broker and controller; the three controllers form the quorum,
so the cluster keeps working with one node down. Broker ports are ``port``,
``port + 1``, ``port + 2``; the controller ports and the cluster id are
chosen once and kept in ``cluster.json`` in the cluster's folder, so
``start``, ``status`` and ``stop`` work from different processes and a node
can be restarted after a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bus.errors import LocalKafkaError
from bus.kafka.local import (
    HOST,
    LocalKafka,
    Quorum,
    SaslAdmin,
    free_port,
    new_cluster_id,
    port_is_free,
)

CLUSTER_PORT = 19092
"""Default first broker port of a cluster: away from the single node's 9092."""
CLUSTER_STOP_S = 8.0


@dataclass(frozen=True)
class ClusterLayout:
    cluster_id: str
    controller_ports: list[int]

    @property
    def voters(self) -> str:
        return ",".join(
            f"{node_id}@{HOST}:{port}" for node_id, port in enumerate(self.controller_ports, 1)
        )


class LocalCluster:
    """``brokers`` LocalKafka nodes in ``<home>/kafka/cluster-<port>/node-<id>``."""

    def __init__(
        self,
        home: Path,
        port: int = CLUSTER_PORT,
        data_dir: Path | None = None,
        *,
        brokers: int = 3,
        heap: str = "384m",
        sasl: SaslAdmin | None = None,
        tls: bool = False,
    ) -> None:
        if brokers < 2:
            raise LocalKafkaError("a cluster has at least two brokers; use LocalKafka for one")
        self.port = port
        self.dir = data_dir or home / "kafka" / f"cluster-{port}"
        layout = self._layout(brokers)
        replication = min(3, brokers)
        self.nodes = [
            LocalKafka(
                home,
                port=port + index,
                data_dir=self.dir / f"node-{index + 1}",
                heap=heap,
                sasl=sasl,
                tls=tls,
                tls_dir=self.dir / "tls",  # one CA for the cluster: brokers trust each other
                quorum=Quorum(
                    node_id=index + 1,
                    controller_port=layout.controller_ports[index],
                    voters=layout.voters,
                    cluster_id=layout.cluster_id,
                    replication=replication,
                ),
            )
            for index in range(brokers)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def start(self) -> list[bool]:
        """Start every node that is not running (together: a quorum needs two) and wait."""
        launched = [node.launch() for node in self.nodes]
        for node, started in zip(self.nodes, launched, strict=True):
            if started:
                node.wait_until_ready()
        return launched

    def stop(self) -> list[bool]:
        """Stop every node; all are told at once so none waits for a quorum that is leaving.

        A controller whose quorum has gone can hang in its Raft shutdown, so the
        grace period is short; the logs were flushed by then and a node recovers
        from a kill anyway (see the fault test).
        """
        running = [node.pid() is not None for node in self.nodes]
        for node in self.nodes:
            node.terminate()
        for node in self.nodes:
            node.stop(timeout_s=CLUSTER_STOP_S)
        return running

    def _layout(self, brokers: int) -> ClusterLayout:
        path = self.dir / "cluster.json"
        try:
            data = json.loads(path.read_text())
            layout = ClusterLayout(data["cluster_id"], [int(p) for p in data["controller_ports"]])
            if len(layout.controller_ports) == brokers:
                return layout
            raise LocalKafkaError(
                f"the cluster in {self.dir} has {len(layout.controller_ports)} brokers, "
                f"not {brokers}: give another --data-dir"
            )
        except (OSError, ValueError, KeyError):
            pass
        taken = {self.port + index for index in range(brokers)}
        ports: list[int] = []
        while len(ports) < brokers:
            port = free_port()
            if port not in taken and port not in ports:
                ports.append(port)
        layout = ClusterLayout(new_cluster_id(), ports)
        self.dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(layout.__dict__))
        return layout


def free_base_port(count: int = 3) -> int:
    """A port P with P .. P+count-1 all free on loopback (for a cluster's brokers)."""
    for _ in range(100):
        base = free_port()
        if all(port_is_free(base + offset) for offset in range(count)):
            return base
    raise LocalKafkaError(f"found no {count} free consecutive ports on {HOST}")
