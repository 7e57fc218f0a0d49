"""Status lookup: a cached drop-in for the vendor's status API, plus a timeline and a search.

``handler`` is the Lambda entry point; ``api`` holds the routes; ``service`` the answer
strategy (stored callbacks, memory cache, table cache, vendor); ``wiring`` builds the
adapters to AWS and to the vendor (whose client, shared with the reconcile sweep, is the
layer's ``receipts.vendor``).
"""
