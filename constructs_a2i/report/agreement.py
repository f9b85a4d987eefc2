"""Agreement figures: the model against the reviewers, and the reviewers among themselves.

Pure functions of a :class:`~constructs_a2i.report.history.History` (labels read at its
:class:`~constructs_a2i.report.history.Paths`), each returning a JSON-ready dict with a one-line
``reading``. The kappas are statsmodels' (``statsmodels.stats.inter_rater.cohens_kappa`` and
``fleiss_kappa``), imported when first used.

* **Model against reviewers** (:func:`model_agreement`), per loop: the reviewers' label is the
  most frequent label among the loop's answers (a tie is *no consensus*, and the loop is left
  out); the loop is *overridden* when it differs from the model's prediction. Override rate
  overall and per predicted label, the confusion matrix (rows: the model's label, columns: the
  reviewers'), Cohen's kappa of model against reviewers, and, with a confidence path, the
  override rate per confidence bucket (tenths of 0..1) and for each threshold ``t`` the reviews
  loops with confidence at or above ``t`` took and the overrides among them: what raising the
  bar for review to ``t`` would have saved, and missed.
* **Reviewers among themselves** (:func:`reviewer_agreement`), over loops with two or more
  labelled answers (``task_count`` > 1): the share where all agree, and Fleiss' kappa over the
  loops with the most common number of answers (Fleiss' kappa needs the same number of ratings
  per item; different workers may answer each loop, which is what it allows). A kappa is
  undefined (None, with a note) when chance agreement is 1: every answer has the same label.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Final

from constructs_a2i.report.history import History

__all__ = [
    "CONFIDENCE_BUCKETS",
    "MISSED_OVERRIDES_BOUND",
    "cohens_kappa",
    "consensus",
    "fleiss_kappa",
    "loop_labels",
    "model_agreement",
    "reviewer_agreement",
]

CONFIDENCE_BUCKETS: Final = 10
"""Confidence buckets of the calibration view: tenths of 0..1 (the last includes 1.0)."""
MISSED_OVERRIDES_BOUND: Final = 0.05
"""The reading suggests the lowest threshold above which at most this share was overridden."""


def consensus(labels: Sequence[str]) -> str | None:
    """The most frequent label, or None when there is none or two labels tie for first."""
    ranked = Counter(labels).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def loop_labels(
    history: History,
) -> tuple[dict[str, list[str]], dict[str, str], dict[str, float]]:
    """Per loop: the reviewers' labels, the model's prediction and its confidence."""
    labels: dict[str, list[str]] = defaultdict(list)
    predictions: dict[str, str] = {}
    confidences: dict[str, float] = {}
    for answer in history.answers:
        if answer.label is not None:
            labels[answer.loop].append(answer.label)
        if answer.prediction is not None:
            predictions.setdefault(answer.loop, answer.prediction)
        if answer.confidence is not None:
            confidences.setdefault(answer.loop, answer.confidence)
    return dict(labels), predictions, confidences


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def cohens_kappa(table: Sequence[Sequence[int]]) -> float | None:
    """Cohen's kappa of a square table of counts (statsmodels); None when undefined."""
    if sum(map(sum, table)) == 0:
        return None
    from statsmodels.stats.inter_rater import cohens_kappa as kappa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when chance agreement is 1
        return _finite(kappa(table, return_results=False))


def fleiss_kappa(items: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa of items each rated by the same number of raters (statsmodels); None
    when undefined (no items, or every rating the same label)."""
    if not items or len({len(item) for item in items}) != 1 or len(items[0]) < 2:
        return None
    categories = sorted({label for item in items for label in item})
    if len(categories) < 2:
        return None
    index = {label: column for column, label in enumerate(categories)}
    table = [[0] * len(categories) for _ in items]
    for row, item in zip(table, items, strict=True):
        for label in item:
            row[index[label]] += 1
    from statsmodels.stats.inter_rater import fleiss_kappa as kappa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _finite(kappa(table, method="fleiss"))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _calibration(
    reviewed: list[tuple[str, str, float | None]],
) -> dict[str, Any]:
    """Override rate per confidence bucket, and what each threshold would have saved."""
    scored = [(conf, human != model) for model, human, conf in reviewed if conf is not None]
    buckets = []
    for number in range(CONFIDENCE_BUCKETS):
        low, high = number / CONFIDENCE_BUCKETS, (number + 1) / CONFIDENCE_BUCKETS
        last = number == CONFIDENCE_BUCKETS - 1
        inside = [over for conf, over in scored if low <= conf < high or (last and conf == 1.0)]
        buckets.append(
            {
                "low": low,
                "high": high,
                "loops": len(inside),
                "overridden": sum(inside),
                "overrideRate": _rate(sum(inside), len(inside)),
            }
        )
    thresholds = []
    for number in range(1, CONFIDENCE_BUCKETS):
        bar = number / CONFIDENCE_BUCKETS
        above = [over for conf, over in scored if conf >= bar]
        thresholds.append(
            {
                "threshold": bar,
                "reviewsSaved": len(above),
                "overridesMissed": sum(above),
                "missedRate": _rate(sum(above), len(above)),
            }
        )
    useful = [
        entry
        for entry in thresholds
        if entry["missedRate"] is not None and entry["missedRate"] <= MISSED_OVERRIDES_BOUND
    ]
    if not scored:
        reading = "No data: no loop has both a confidence and a reviewers' label."
    elif useful:
        best = useful[0]
        reading = (
            f"Loops with confidence ≥ {best['threshold']:.1f} were overridden "
            f"{_percent(best['missedRate'])} of the time: not reviewing them would have saved "
            f"{best['reviewsSaved']:,} of {len(scored):,} reviews and missed "
            f"{best['overridesMissed']:,} override(s)."
        )
    else:
        reading = (
            f"No confidence threshold keeps missed overrides at or below "
            f"{MISSED_OVERRIDES_BOUND:.0%}: every bucket needs its reviews."
        )
    return {
        "scoredLoops": len(scored),
        "buckets": buckets,
        "thresholds": thresholds,
        "reading": reading,
    }


def model_agreement(history: History) -> dict[str, Any]:
    """How often the reviewers overrode the model (see module)."""
    paths = history.paths
    if paths.prediction is None or paths.answer is None:
        return {
            "available": False,
            "reading": "No data: pass --prediction-path and --answer-path to compare the "
            "model's label with the reviewers'.",
        }
    labels, predictions, confidences = loop_labels(history)
    reviewed: list[tuple[str, str, float | None]] = []
    no_consensus = 0
    for loop, model in predictions.items():
        answers = labels.get(loop)
        if not answers:
            continue
        human = consensus(answers)
        if human is None:
            no_consensus += 1
            continue
        reviewed.append((model, human, confidences.get(loop)))
    categories = sorted({label for model, human, _ in reviewed for label in (model, human)})
    index = {label: number for number, label in enumerate(categories)}
    counts = [[0] * len(categories) for _ in categories]
    per_label: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for model, human, _ in reviewed:
        counts[index[model]][index[human]] += 1
        per_label[model][0] += 1
        per_label[model][1] += human != model
    overridden = sum(human != model for model, human, _ in reviewed)
    rate = _rate(overridden, len(reviewed))
    result: dict[str, Any] = {
        "available": True,
        "loops": len(reviewed),
        "overridden": overridden,
        "overrideRate": rate,
        "noConsensus": no_consensus,
        "perLabel": [
            {
                "label": label,
                "loops": seen,
                "overridden": over,
                "overrideRate": _rate(over, seen),
            }
            for label, (seen, over) in sorted(per_label.items())
        ],
        "confusion": {"labels": categories, "counts": counts},
        "cohensKappa": cohens_kappa(counts),
    }
    if paths.confidence is not None:
        result["confidence"] = _calibration(reviewed)
    if not reviewed:
        result["reading"] = "No data: no loop has both the model's label and the reviewers'."
    else:
        worst = max(result["perLabel"], key=lambda entry: entry["overrideRate"] or 0.0)
        result["reading"] = (
            f"Reviewers overrode the model in {overridden:,} of {len(reviewed):,} loops "
            f"({_percent(rate)}); most often when it said {worst['label']!r} "
            f"({_percent(worst['overrideRate'])})."
        )
    return result


def reviewer_agreement(history: History) -> dict[str, Any]:
    """How often the reviewers of one loop agree (see module)."""
    if history.paths.answer is None:
        return {
            "available": False,
            "reading": "No data: pass --answer-path to compare the reviewers' labels.",
        }
    labels, _, _ = loop_labels(history)
    shared = [answers for answers in labels.values() if len(answers) >= 2]
    all_agree = sum(len(set(answers)) == 1 for answers in shared)
    sizes = Counter(len(answers) for answers in shared)
    raters = max(sizes, key=lambda size: (sizes[size], size)) if sizes else None
    rated = [answers for answers in shared if len(answers) == raters]
    kappa = fleiss_kappa(rated)
    note = None
    if rated and kappa is None:
        note = "Fleiss' kappa is undefined: every answer has the same label."
    result: dict[str, Any] = {
        "available": True,
        "loops": len(shared),
        "allAgree": all_agree,
        "allAgreeRate": _rate(all_agree, len(shared)),
        "answersPerLoop": {str(size): count for size, count in sorted(sizes.items())},
        "fleissKappa": kappa,
        "kappaRaters": raters,
        "kappaLoops": len(rated),
        "kappaNote": note,
    }
    if not shared:
        result["reading"] = (
            "No data: no loop has two or more labelled answers (a flow with task_count 1 has none)."
        )
    else:
        kappa_text = (
            f"Fleiss' kappa {kappa:.2f} over {len(rated):,} loops of {raters} answers"
            if kappa is not None
            else (note or "Fleiss' kappa undefined")
        )
        result["reading"] = (
            f"All reviewers agreed in {all_agree:,} of {len(shared):,} loops "
            f"({_percent(result['allAgreeRate'])}); {kappa_text}."
        )
    return result
