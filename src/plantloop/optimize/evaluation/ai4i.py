"""AI4I 2020 failure prediction: F1 of the failure class under stratified 5-fold cross-validation.

Protocol (dataset README): features are the product variant and the five process variables only; the
failure-mode columns (TWF, HDF, PWF, OSF, RNF) are outcomes and UDI / Product ID are identifiers, so none of
them is ever given to the model. Stratified 5-fold CV (shuffled, seed 0); out-of-fold predictions are
pooled and scored once (F1, precision, recall, PR-AUC of ``Machine failure``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from plantloop.optimize.evaluation.result import DatasetFormatError, EvaluationResult
from plantloop.optimize.maintenance.failure import FailureClassifier, physics_features

SOURCE_COLUMNS = {
    "Type": "product_type",
    "Air temperature [K]": "air_temperature_k",
    "Process temperature [K]": "process_temperature_k",
    "Rotational speed [rpm]": "rotational_speed_rpm",
    "Torque [Nm]": "torque_nm",
    "Tool wear [min]": "tool_wear_min",
}
TARGET = "Machine failure"
#: Never given to the model: identifiers and failure-mode outcomes.
LEAKY = ("UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF")

#: Fits on (inputs, labels) and returns failure probabilities for other inputs.
FitScore = Callable[[pd.DataFrame, npt.NDArray[np.int64], pd.DataFrame], npt.NDArray[np.float64]]


def load(path: Path, sample_rows: int | None = None) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Canonical inputs and labels from ``ai4i2020.csv`` in ``path`` (a folder or the file itself)."""
    file = path / "ai4i2020.csv" if path.is_dir() else path
    if not file.is_file():
        raise DatasetFormatError("ai4i", str(path), "no ai4i2020.csv found")
    try:
        raw = pd.read_csv(file)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DatasetFormatError("ai4i", str(file), f"unreadable CSV ({exc})") from exc
    missing = [c for c in (*SOURCE_COLUMNS, TARGET) if c not in raw.columns]
    if missing:
        raise DatasetFormatError("ai4i", str(file), f"missing columns {missing}")
    if sample_rows is not None and sample_rows < len(raw):
        raw = raw.groupby(TARGET, group_keys=False).sample(frac=sample_rows / len(raw), random_state=0)
    inputs = raw.loc[:, list(SOURCE_COLUMNS)].rename(columns=SOURCE_COLUMNS).reset_index(drop=True)
    return inputs, raw[TARGET].to_numpy(dtype=np.int64)


def ensemble_fit_score(
    train: pd.DataFrame, labels: npt.NDArray[np.int64], test: pd.DataFrame
) -> npt.NDArray[np.float64]:
    return FailureClassifier().fit(train, labels).predict_proba(test)


def logistic_fit_score(
    train: pd.DataFrame, labels: npt.NDArray[np.int64], test: pd.DataFrame
) -> npt.NDArray[np.float64]:
    """Baseline: logistic regression on the standardised physics features."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(physics_features(train), labels)
    return np.asarray(model.predict_proba(physics_features(test))[:, 1], dtype=float)


def evaluate(
    path: Path, sample_rows: int | None = None, fit_score: FitScore = ensemble_fit_score, folds: int = 5
) -> EvaluationResult:
    """Pooled out-of-fold F1 of the failure class."""
    inputs, labels = load(Path(path), sample_rows)
    if labels.sum() < folds:
        raise DatasetFormatError("ai4i", str(path), f"fewer than {folds} failures to stratify")
    scores = np.zeros(len(labels))
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(inputs, labels):
        scores[test_idx] = fit_score(inputs.iloc[train_idx], labels[train_idx], inputs.iloc[test_idx])
    predicted = scores >= 0.5
    return EvaluationResult(
        task="ai4i",
        metric="f1",
        value=round(float(f1_score(labels, predicted)), 4),
        extras={
            "precision": round(float(precision_score(labels, predicted, zero_division=0)), 4),
            "recall": round(float(recall_score(labels, predicted)), 4),
            "pr_auc": round(float(average_precision_score(labels, scores)), 4),
            "rows": len(labels),
            "failures": int(labels.sum()),
            "protocol": f"stratified {folds}-fold CV (shuffle, seed 0), threshold 0.5, "
            "no TWF..RNF/UDI/Product ID",
        },
    )


def evaluate_baseline(path: Path, sample_rows: int | None = None) -> EvaluationResult:
    return evaluate(path, sample_rows, logistic_fit_score)
