"""``bus webhooks run``: deliver each authority's inbox to its webhook from the catalogue."""

from __future__ import annotations

import argparse

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.errors import ConfigurationError
from bus.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.base.service import run_until_signalled
    from connectors.webhooks import WebhookRunner, targets_from_catalogue
    from connectors.webhooks.runner import run_webhooks

    catalogue = load_catalogue(settings.catalogue)
    targets = targets_from_catalogue(catalogue)
    if args.authority:
        targets = [t for t in targets if t.authority in args.authority]
    if not targets:
        raise ConfigurationError(
            f"no authority in {settings.catalogue} has a webhook (and webhook_secret) to deliver to"
        )
    return run_until_signalled(
        lambda: run_webhooks(WebhookRunner(settings, targets, args.metrics_port))
    )


def register(commands: Commands) -> None:
    parser = commands.add_parser("webhooks", help="deliver inboxes to agency services by webhook")
    actions = parser.add_commands(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="deliver until stopped, one consumer per authority")
    run.add_argument(
        "--authority", action="append", help="only this authority (repeatable; default all)"
    )
    run.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz, /readyz on PORT")
    run.set_defaults(func=_run)
