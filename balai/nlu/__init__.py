"""Understanding residents' WhatsApp messages: ``understand(text)`` → ``Understanding``.

Rupiah amounts and counts: ``balai.nlu.normalise.parse_amount`` / ``parse_quantity``.
"""

__all__ = ["CONFIDENT", "Understanding", "understand"]


def __getattr__(name: str):
    # Loaded on first use: Django imports this package with every command, and most of them
    # have no need for scikit-learn.
    if name in __all__:
        from balai.nlu import recognise

        return getattr(recognise, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
