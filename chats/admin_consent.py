"""Admin of removal requests, the redaction log and deletion lists."""
