"""A reference candidate for the AI sandbox: a small keyword-intent assistant."""
