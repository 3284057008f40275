"""Kafka's jars, fetched once with Maven from ``deploy/kafka/pom.xml`` into the cache."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from bus.errors import LocalKafkaError
from bus.settings import PROJECT_ROOT

POM = PROJECT_ROOT / "deploy" / "kafka" / "pom.xml"
_MARKER = ".complete"


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()[:12]


def jars_dir(home: Path, pom: Path = POM) -> Path:
    """The cache folder for this pom: a changed pom gets a folder of its own."""
    return home / "kafka" / f"jars-{_pom_digest(pom)}"


def ensure_jars(home: Path, pom: Path = POM) -> Path:
    """Return the folder of Kafka's jars, running Maven only when it is not complete yet."""
    if not pom.exists():
        raise LocalKafkaError(f"{pom} is missing: run the bus from its source checkout")
    target = jars_dir(home, pom)
    if (target / _MARKER).exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError("Maven ('mvn') is not on PATH: install it to fetch Kafka's jars")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise LocalKafkaError(f"Maven could not fetch Kafka's jars from {pom}:\n{tail}")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    (target / _MARKER).write_text(_pom_digest(pom))
    return target


def kafka_version(jars: Path) -> str:
    """The Kafka version, read off the ``kafka_2.13-X.Y.Z.jar`` file name."""
    for jar in jars.glob("kafka_2.13-*.jar"):
        return jar.stem.removeprefix("kafka_2.13-")
    return "unknown"
