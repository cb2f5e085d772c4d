"""Pacing of the bot's REST requests: Discord's per-route buckets and its global limit, respected up front.

window.py   the global limit, counted from send times (GlobalPacer)
buckets.py  per-route buckets followed from the response headers
gate.py     the first-come, first-served queue both use
client.py   pace(): puts both in front of discord.py's HTTPClient (and takes its own buckets out)
"""

from bot.pacing.client import GLOBAL_EXEMPT, Pacing, pace
from bot.pacing.window import GlobalPacer, PacerStats, Ticket

__all__ = ["GLOBAL_EXEMPT", "GlobalPacer", "PacerStats", "Pacing", "Ticket", "pace"]
