"""Sources of state vectors. Each yields Arrow record batches in :data:`aerolake.schema.STATE_SCHEMA`."""
