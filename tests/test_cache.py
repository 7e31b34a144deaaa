"""gosmart.cache: a value kept for the configured seconds, per language; 0 keeps nothing."""
from flask_babel import force_locale

from gosmart.cache import fresh_for


def test_a_value_is_kept_per_language_for_the_configured_seconds_and_not_at_all_with_zero(app, monkeypatch):
    calls = []

    @fresh_for("TEST_FIGURES_SECONDS")
    def figures(n):
        calls.append(n)
        return len(calls)

    app.config["TEST_FIGURES_SECONDS"] = 0
    assert (figures(1), figures(1)) == (1, 2)  # off: every call counts again
    app.config["TEST_FIGURES_SECONDS"] = 30
    try:
        with app.test_request_context():
            first = figures(1)
            assert figures(1) == first and figures(2) != first  # kept, per arguments
            with force_locale("zh_Hant_TW"):
                assert figures(1) != first  # per language
            clock = [10_000.0]
            monkeypatch.setattr("gosmart.cache.time.monotonic", lambda: clock[0])
            fresh = figures(3)
            clock[0] += 29
            assert figures(3) == fresh
            clock[0] += 2
            assert figures(3) != fresh  # older than the setting: counted again
    finally:
        del app.config["TEST_FIGURES_SECONDS"]
