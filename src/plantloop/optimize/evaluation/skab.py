"""SKAB outlier detection (Skoltech Anomaly Benchmark) with SKAB's own protocol.

Protocol (waico/SKAB ``core/utils.py`` and ``core/metrics.py``): per experiment file, the first 400 rows are
the training part (normal) and the rest is the test part. A detector is fitted per file on its training part
and predicts 0/1 for every test row; TP/FP/FN/TN are summed over all files and
``F1 = TP / (TP + (FN + FP) / 2)``, ``FAR = FP / (FP + TN)``, ``MAR = FN / (FN + TP)``.

The detector is :class:`~plantloop.optimize.maintenance.anomaly.MultivariateDetector` on the pump's fast
process channels (vibration, current, pressure, voltage, flow). The two temperature channels are left out:
they drift slowly with warm-up during normal operation, so a 400-s baseline cannot hold their level.
Labels are read only to score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from plantloop.optimize.evaluation.result import DatasetFormatError, EvaluationResult
from plantloop.optimize.maintenance.anomaly import MultivariateDetector

TRAIN_ROWS = 400
ALL_CHANNELS: tuple[str, ...] = (
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
)
FAST_CHANNELS: tuple[str, ...] = tuple(c for c in ALL_CHANNELS if c not in ("Temperature", "Thermocouple"))

#: A function that takes the training part and returns 0/1 predictions for the test part.
FitPredict = Callable[[pd.DataFrame, pd.DataFrame], npt.NDArray[np.bool_]]


@dataclass
class Confusion:
    """Micro-summed confusion counts of the outlier task."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, y_true: npt.NDArray[np.bool_], y_pred: npt.NDArray[np.bool_]) -> None:
        self.tp += int((y_true & y_pred).sum())
        self.fp += int((~y_true & y_pred).sum())
        self.fn += int((y_true & ~y_pred).sum())
        self.tn += int((~y_true & ~y_pred).sum())

    @property
    def f1(self) -> float:
        denominator = self.tp + (self.fn + self.fp) / 2
        return self.tp / denominator if denominator else 0.0

    @property
    def f1_all_flagged(self) -> float:
        """F1 of the trivial detector that flags every test row (what a useful model must beat)."""
        positives = self.tp + self.fn
        denominator = positives + (self.fp + self.tn) / 2
        return positives / denominator if denominator else 0.0

    @property
    def far_pct(self) -> float:
        return 100.0 * self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def mar_pct(self) -> float:
        return 100.0 * self.fn / (self.fn + self.tp) if self.fn + self.tp else 0.0


def find_files(path: Path) -> list[Path]:
    """Labelled experiment CSVs under ``path`` (any sub-folder except ``anomaly-free``), sorted."""
    if not path.is_dir():
        raise DatasetFormatError("skab", str(path), "not a directory")
    files = sorted(
        (p for p in path.rglob("*.csv") if "anomaly-free" not in p.parts),
        key=lambda p: (str(p.parent), int(p.stem) if p.stem.isdigit() else 0, p.stem),
    )
    if not files:
        raise DatasetFormatError("skab", str(path), "no labelled experiment CSV files found")
    return files


def read_experiment(file: Path) -> pd.DataFrame:
    """One SKAB experiment (``;``-separated, ``datetime`` index); checks the columns."""
    try:
        frame = pd.read_csv(file, sep=";", index_col="datetime", parse_dates=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DatasetFormatError("skab", str(file), f"unreadable CSV ({exc})") from exc
    missing = [c for c in (*ALL_CHANNELS, "anomaly") if c not in frame.columns]
    if missing:
        raise DatasetFormatError("skab", str(file), f"missing columns {missing}")
    if len(frame) <= TRAIN_ROWS:
        raise DatasetFormatError("skab", str(file), f"only {len(frame)} rows, need more than {TRAIN_ROWS}")
    return frame


def detector_fit_predict(train: pd.DataFrame, test: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """The module's detector: fitted on the training part, then streamed over the test part."""
    detector = MultivariateDetector(FAST_CHANNELS).fit(train)
    return detector.update(test).alarms


def zscore_fit_predict(
    train: pd.DataFrame, test: pd.DataFrame, z_limit: float = 3.0
) -> npt.NDArray[np.bool_]:
    """Baseline: alarm when any channel is more than ``z_limit`` training standard deviations off its mean."""
    values = train.loc[:, list(ALL_CHANNELS)].to_numpy(dtype=float)
    mean, std = values.mean(axis=0), values.std(axis=0, ddof=1)
    std = np.where(std > 1e-12, std, 1.0)
    z = np.abs((test.loc[:, list(ALL_CHANNELS)].to_numpy(dtype=float) - mean) / std)
    return np.asarray((z > z_limit).any(axis=1))


def evaluate(
    path: Path, files: Sequence[Path] | None = None, fit_predict: FitPredict = detector_fit_predict
) -> EvaluationResult:
    """Outlier F1 (micro over files) on the test parts of the SKAB files under ``path``."""
    chosen = list(files) if files is not None else find_files(Path(path))
    confusion = Confusion()
    for file in chosen:
        frame = read_experiment(file)
        train, test = frame.iloc[:TRAIN_ROWS], frame.iloc[TRAIN_ROWS:]
        predicted = np.asarray(
            fit_predict(
                train.drop(columns=["anomaly", "changepoint"], errors="ignore"),
                test.drop(columns=["anomaly", "changepoint"], errors="ignore"),
            )
        )
        confusion.add(test["anomaly"].to_numpy() > 0.5, predicted.astype(bool))
    return EvaluationResult(
        task="skab",
        metric="f1",
        value=round(confusion.f1, 4),
        extras={
            "far_pct": round(confusion.far_pct, 2),
            "mar_pct": round(confusion.mar_pct, 2),
            "files": len(chosen),
            "test_rows": confusion.tp + confusion.fp + confusion.fn + confusion.tn,
            "f1_if_all_flagged": round(confusion.f1_all_flagged, 4),
            "protocol": "per file: fit on first 400 rows, predict the rest; micro F1 over files",
        },
    )


def evaluate_baseline(path: Path, files: Sequence[Path] | None = None) -> EvaluationResult:
    """The same protocol with the per-channel 3-sigma baseline."""
    return evaluate(path, files, zscore_fit_predict)
