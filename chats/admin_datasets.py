"""Admin of dataset bundles."""
