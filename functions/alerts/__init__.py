"""The alerts function: failed deliveries fanned out to SNS and chat webhooks.

Records arrive on the alerts queue from the table's stream (through the EventBridge pipe).
Each (transaction, status) alerts once per target; bursts above a threshold become digests.
"""
