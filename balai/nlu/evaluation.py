"""Scoring the recogniser: held-out report, timing, and calibration by cross-validation."""

import math
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from balai.nlu import recognise
from balai.nlu.recognise import INTENTS, Model, read_tsv, understand

Row = tuple[str, str, str | None]


@dataclass
class Report:
    """How the model trained on ``train`` does on ``test``."""

    train_size: int
    test_size: int
    train_seconds: float
    accuracy: float
    per_intent: dict[str, tuple[int, int]]  # intent → (correct, total)
    confusion: Counter  # (true, predicted) → count, mistakes only
    letter_accuracy: float  # over all test messages (None must stay None)
    letter_accuracy_typed: float  # over the messages that name a letter type
    letter_typed: int
    mistakes: list[tuple[str, str, str, float]]  # text, true, predicted, confidence

    def summary(self) -> str:
        lines = [
            f"train {self.train_size}, held-out {self.test_size}, "
            f"trained in {self.train_seconds * 1000:.0f} ms",
            f"intent accuracy {self.accuracy:.3f}",
            f"letter_type accuracy {self.letter_accuracy:.3f} (all), "
            f"{self.letter_accuracy_typed:.3f} ({self.letter_typed} naming a type)",
        ]
        for intent, (ok, n) in self.per_intent.items():
            lines.append(f"  {intent:<18} {ok:>3}/{n:<3} {ok / n:.3f}")
        for (true, pred), n in self.confusion.most_common():
            lines.append(f"  {true} → {pred}: {n}")
        return "\n".join(lines)


def evaluate(train: list[Row], test: list[Row]) -> Report:
    """Train on ``train`` and score every message of ``test``."""
    start = time.perf_counter()
    model = Model(train)
    seconds = time.perf_counter() - start
    per_intent = {intent: [0, 0] for intent in INTENTS}
    confusion: Counter = Counter()
    mistakes = []
    letters_ok = typed = typed_ok = 0
    for text, intent, letter in test:
        u = understand(text, using=model)
        per_intent[intent][1] += 1
        if u.intent == intent:
            per_intent[intent][0] += 1
        else:
            confusion[intent, u.intent] += 1
            mistakes.append((text, intent, u.intent, u.confidence))
        letters_ok += u.letter_type == letter
        if letter:
            typed += 1
            typed_ok += u.letter_type == letter
    correct = sum(ok for ok, _ in per_intent.values())
    return Report(
        train_size=len(train),
        test_size=len(test),
        train_seconds=seconds,
        accuracy=correct / len(test),
        per_intent={k: (ok, n) for k, (ok, n) in per_intent.items() if n},
        confusion=confusion,
        letter_accuracy=letters_ok / len(test),
        letter_accuracy_typed=typed_ok / typed if typed else 1.0,
        letter_typed=typed,
        mistakes=mistakes,
    )


def held_out() -> Report:
    """The report of the shipped data: training file against the held-out file."""
    return evaluate(read_tsv(recognise.TRAIN_FILE), read_tsv(recognise.TEST_FILE))


def time_per_message(texts: list[str], repeat: int = 20) -> tuple[float, float]:
    """(mean, p99) microseconds per ``understand`` call, over ``repeat`` passes of ``texts``."""
    recognise.model()  # training is not part of a message's cost
    for text in texts:
        understand(text)
    samples = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter_ns()
            understand(text)
            samples.append(time.perf_counter_ns() - start)
    samples.sort()
    p99 = samples[min(len(samples) - 1, math.ceil(0.99 * len(samples)) - 1)]
    return statistics.fmean(samples) / 1000, p99 / 1000


def cross_validated(rows: list[Row], folds: int = 5) -> list[tuple[str, np.ndarray, list[str]]]:
    """(true intent, decision values, classes) for each row, from models that did not see it."""
    out = []
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    for train_idx, test_idx in split.split(rows, [intent for _, intent, _ in rows]):
        model = Model([rows[i] for i in train_idx])
        for i in test_idx:
            text = rows[i][0]
            norm = recognise.normalise(text)
            decision = model.decision(recognise.features(norm, text))
            out.append((rows[i][1], decision, model.classes))
    return out


def calibrate(rows: list[Row], precision: float = 0.97) -> tuple[float, float, float]:
    """(temperature, confident threshold, cross-validated accuracy) from the training rows.

    The temperature minimises the log-loss of softmax(temperature x decision values) on
    cross-validated predictions; the threshold is the lowest confidence above which those
    predictions are right at least ``precision`` of the time, so answers below it are the
    ones worth a "did you mean …?".
    """
    preds = cross_validated(rows)
    truth = [t for t, _, _ in preds]
    decisions = np.array([d for _, d, _ in preds])
    classes = preds[0][2]
    target = np.array([classes.index(t) for t in truth])

    def softmax(temp: float) -> np.ndarray:
        z = decisions * temp
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def log_loss(temp: float) -> float:
        return -float(np.mean(np.log(softmax(temp)[np.arange(len(target)), target] + 1e-12)))

    temperature = min(np.arange(0.5, 10.01, 0.25), key=log_loss)
    probs = softmax(temperature)
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == target
    threshold = 1.0
    for t in np.arange(0.95, 0.0, -0.05):
        if right[conf >= t].mean() < precision:
            break
        threshold = t
    return float(temperature), round(float(threshold), 2), float(right.mean())
