"""What Kubernetes needs from the bus, generated from the catalogue and the principals."""
