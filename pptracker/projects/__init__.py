"""Projects: the PPP project registry, its parties and its managers."""
