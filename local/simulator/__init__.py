"""A local IMIconnect / Webex Connect: the send API, realistic callbacks, the status API."""
