"""The webhook that verifies, de-duplicates and stores every delivery and read notification."""
