# schemas/: JSON contracts (alert schema).
