"""The batch layer: ingest to bronze, clean and enrich to silver, merge and segment to gold."""
