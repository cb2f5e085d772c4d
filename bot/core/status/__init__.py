"""The incident status: poll the feed, store what it says, queue what must be posted, exactly once.

service.py wires the parts: poller -> ingest (updates) and recovery (devices) -> outbox rows;
snapshot is what answers quote; labels is how a status reads; delivery_hook is the status's part in
delivery. subscriptions, jobs (summary, reminder) and manual (staff posting) complete it.
"""
