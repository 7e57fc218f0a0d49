"""The reconcile function: what the platform's dropped callbacks never said, asked of the
status API on a schedule; what never settles, closed at the horizon."""
