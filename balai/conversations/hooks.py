"""Where other apps plug into the conversation engine without the engine knowing them.

- ``reply_handler("consent")`` registers a function for taps whose id starts with
  ``consent:``; it gets (turn, rest of the id) and returns True when it handled the tap.
  These run before any open form, because a button in an older message (a consent request,
  an activity reminder, a quiz question) means that, whatever the resident was doing.
- ``word_handler`` registers a function tried on typed text before intent recognition
  (e.g. ``materi``, ``bersedia``); it gets (turn, normalised words) and returns True when
  it answered.
- ``awaiting_answer`` registers a function (turn) → bool that says the app waits for a typed
  answer from this resident, so a bare "0" is an answer (no sales this month), not the
  menu shortcut.
Apps register in their AppConfig.ready().
"""

REPLY_HANDLERS: dict[str, object] = {}
WORD_HANDLERS: list = []
AWAITING: list = []


def reply_handler(prefix: str):
    def register(fn):
        REPLY_HANDLERS[prefix] = fn
        return fn

    return register


def word_handler(fn):
    if fn not in WORD_HANDLERS:
        WORD_HANDLERS.append(fn)
    return fn


def awaiting_answer(fn):
    if fn not in AWAITING:
        AWAITING.append(fn)
    return fn


def awaits_answer(turn) -> bool:
    return any(fn(turn) for fn in AWAITING)


def handle_reply(turn) -> bool:
    kind, _, rest = turn.reply_id.partition(":")
    handler = REPLY_HANDLERS.get(kind)
    return bool(handler and handler(turn, rest))


def handle_words(turn, plain: str) -> bool:
    return any(handler(turn, plain) for handler in WORD_HANDLERS)
