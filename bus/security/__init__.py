"""Who may do what on the bus's Kafka: principals and ACLs from the catalogue, and applying them."""
