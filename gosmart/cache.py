"""Figures worth keeping for a few seconds in each process.

Only for what may be a little behind without harm (the directory's headline figures, the
lists its filters offer): each process keeps its own copy for the configured number of
seconds, per language, so nothing here is something another worker needs. 0 turns it off
(the tests' setting)."""
import time
from functools import wraps

from flask import current_app
from flask_babel import get_locale


def fresh_for(setting):
    """Keep `fn`'s result, per language and arguments, for current_app.config[setting] seconds."""
    def decorator(fn):
        kept = {}

        @wraps(fn)
        def wrapper(*args):
            seconds = current_app.config.get(setting, 0)
            if not seconds:
                return fn(*args)
            key = (str(get_locale()), args)
            now = time.monotonic()
            hit = kept.get(key)
            if hit is not None and now - hit[0] < seconds:
                return hit[1]
            value = fn(*args)
            kept[key] = (now, value)
            return value
        wrapper.forget = kept.clear
        return wrapper
    return decorator
