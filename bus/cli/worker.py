"""``bus worker``: run the bus's Faust agents against the configured broker."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bus.app.factory import create_app, worker_topics
from bus.kafka.admin import ensure_topics
from bus.kafka.connection import security_kwargs
from bus.metrics.http import serve_metrics
from bus.settings import Settings


def faust_worker(app: Any, loglevel: str) -> Any:
    """Faust's worker, without its terminal spinner.

    At log level warn or above the spinner sets the root logger to DEBUG (so it
    can spin on every record): each aiokafka debug record is then built and
    dropped, about a tenth of a worker's time in a profile.
    """
    from faust.worker import Worker

    worker = Worker(app, loglevel=loglevel, quiet=True)
    worker.spinner = None
    return worker


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    topics = worker_topics(settings)
    asyncio.run(ensure_topics(settings.bootstrap_servers, topics, **security_kwargs(settings)))
    app, _runtime = create_app(settings)
    serve_metrics(settings.metrics_host, settings.metrics_port)
    faust_worker(app, args.loglevel).execute_from_commandline()
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("worker", help="run the bus's agents (Faust worker)")
    parser.add_argument("--loglevel", default="info", help="worker log level (default info)")
    parser.set_defaults(func=_worker)
