"""Status lookup: a cached drop-in for the vendor's status API, plus a timeline and a search.

``handler`` is the Lambda entry point; ``api`` holds the routes; ``service`` the answer
strategy (stored callbacks, memory cache, table cache, vendor); ``vendor_client`` and
``wiring`` are the adapters to the vendor and to AWS.
"""
