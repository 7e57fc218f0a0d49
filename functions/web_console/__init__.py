"""The web console: one static page and its scripts, served on the HTTP API.

The page holds no data: it asks for the API key and calls the same routes any client calls.
"""
