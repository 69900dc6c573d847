"""Documents: contracts, amendments and evidence, stored once per SHA-256."""
