"""The outbox: typed notices written beside the change that causes them, and the worker that delivers them.

notices (what can be said) -> rows (enqueue, once per dedupe key) -> worker (lease, send, retry, finish)
through a Sender (the transport) and a DeliveryHook (the notice owner's bookkeeping).
"""
