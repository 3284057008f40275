"""Webhook delivery: each authority's inbox POSTed, signed, to its agency service."""

from connectors.webhooks.delivery import Outcome, RetryPolicy, post_with_retries
from connectors.webhooks.runner import AuthorityDelivery, WebhookRunner
from connectors.webhooks.targets import WebhookTarget, targets_from_catalogue

__all__ = [
    "AuthorityDelivery",
    "Outcome",
    "RetryPolicy",
    "WebhookRunner",
    "WebhookTarget",
    "post_with_retries",
    "targets_from_catalogue",
]
