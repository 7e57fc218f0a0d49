"""The suppression list: destinations that no message will reach, and why."""
