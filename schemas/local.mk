# schemas/: JSON contracts (alert schema).
dist_noinst_DATA += schemas/alert.schema.json
