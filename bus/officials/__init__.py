"""The officials' API and web console: the escalation queue for human officials."""
