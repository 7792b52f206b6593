"""Training experiments that check the theory's predictions on real networks."""
