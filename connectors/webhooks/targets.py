"""Which authorities get their inbox by webhook: those with a ``webhook`` in the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from connectors.base.secrets import resolve_secret


@dataclass(frozen=True)
class WebhookTarget:
    authority: str
    inbox: str
    url: str
    secret: str = field(repr=False)


def targets_from_catalogue(
    catalogue: Catalogue, environ: Mapping[str, str] | None = None
) -> list[WebhookTarget]:
    """One target per authority with a webhook; each must have a signing secret."""
    targets = []
    for authority in catalogue.authorities.values():
        if authority.webhook is None:
            continue
        where = f"authority {authority.code!r} in the catalogue"
        if not authority.webhook_secret:
            variable = "BUS_WEBHOOK_SECRET_" + authority.code.upper().replace("-", "_")
            raise ConfigurationError(
                f"{where} has a webhook but no webhook_secret; "
                f"add webhook_secret: ${{{variable}}} and set {variable}"
            )
        secret = resolve_secret(authority.webhook_secret, where, environ)
        targets.append(WebhookTarget(authority.code, authority.inbox, authority.webhook, secret))
    return targets
