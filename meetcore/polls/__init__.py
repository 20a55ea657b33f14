"""Polls (การลงมติ / การลงคะแนน): a question put to the seats present when it opens, open or secret.

models.py the tables; services.py the writers (prepare, open, vote, close); state.py the readers (what the
live page and the minutes read); schemas.py the live commands' inputs; live.py the commands and the
snapshot part. docs/polls.md says how a secret poll keeps a seat apart from its choice.
"""
