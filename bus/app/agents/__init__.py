"""One module per agent; each has ``register(app, runtime)``."""
