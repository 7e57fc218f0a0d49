"""The table stream's second reader: keeps the reports' counters and the suppression list.

DynamoDB Streams serves at most two readers per shard; the alerts pipe is the first. Every
other job the stream feeds joins this function as one more step over the same batch, never
as a third reader.
"""
