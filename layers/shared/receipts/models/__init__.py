"""Pydantic models: the vendor's payloads as sent, and this project's normalised views."""
