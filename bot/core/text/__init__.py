"""Rules that judge or reshape text, one job per module.

- `rules`: safety.md, standing instructions (`## Always`) and forbidden advice (`## Never`).
- `scanner`: finds device IDs in text and redacts them.
- `mentions`: makes @everyone, @here, user and role mentions harmless.
- `output`: checks on text about to leave the bot (tracebacks and other internal errors).
- `terms`: text -> search terms for retrieval (stemming, synonyms, typo correction).
- `split`: cuts an answer into Discord-sized messages.

What the customer means (distress, asking for a person, a request outside the bot's role) is `bot.core.router`.
"""
