"""The AI sandbox: feeding a candidate assistant scrubbed citizen turns, and judging its answers."""
