"""C-MAPSS remaining-useful-life evaluation: RMSE at the last cycle of every test engine.

Protocol (Saxena et al. 2008; Heimes 2008; Babu et al. 2016): train on ``train_FD00x.txt`` (run-to-failure)
with the RUL target capped at 125 cycles, predict one RUL per test engine at its last cycle of
``test_FD00x.txt``, compare with ``RUL_FD00x.txt``. The headline RMSE uses the true RUL as given (uncapped);
the RMSE against the true RUL capped at 125 and the PHM08 score are extras. The subset is detected from the
file names, so a folder with FD002, FD003 or FD004 works unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from plantloop.optimize.evaluation.result import DatasetFormatError, EvaluationResult
from plantloop.optimize.maintenance.rul import RulConfig, RulModel

SETTINGS = ["op_setting_1", "op_setting_2", "op_setting_3"]
SENSORS = [f"s{i}" for i in range(1, 22)]
COLUMNS = ["unit", "cycle", *SETTINGS, *SENSORS]
_SUBSET = re.compile(r"^train_(FD\d{3})\.txt$")


def find_subsets(path: Path) -> list[str]:
    """Subsets (``FD001`` …) that have train, test and RUL files in ``path``."""
    if not path.is_dir():
        raise DatasetFormatError("cmapss", str(path), "not a directory")
    subsets = []
    for file in sorted(path.iterdir()):
        match = _SUBSET.match(file.name)
        if match and (path / f"test_{match[1]}.txt").is_file() and (path / f"RUL_{match[1]}.txt").is_file():
            subsets.append(match[1])
    if not subsets:
        raise DatasetFormatError("cmapss", str(path), "no train_FD00x.txt with matching test_ and RUL_ files")
    return subsets


def read_table(file: Path) -> pd.DataFrame:
    """One whitespace-separated C-MAPSS table with its 26 named columns."""
    try:
        frame = pd.read_csv(file, sep=r"\s+", header=None)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DatasetFormatError("cmapss", str(file), f"unreadable ({exc})") from exc
    if frame.shape[1] != len(COLUMNS):
        raise DatasetFormatError("cmapss", str(file), f"expected 26 columns, found {frame.shape[1]}")
    frame.columns = COLUMNS
    return frame


def load_subset(
    path: Path, subset: str, max_units: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Train and test frames and the true test RULs (in unit order); optionally only the first units."""
    train = read_table(path / f"train_{subset}.txt")
    test = read_table(path / f"test_{subset}.txt")
    true_rul = pd.read_csv(path / f"RUL_{subset}.txt", sep=r"\s+", header=None)[0].to_numpy(dtype=float)
    units = np.sort(test["unit"].unique())
    if len(units) != len(true_rul):
        raise DatasetFormatError(
            "cmapss", str(path), f"{len(units)} test units but {len(true_rul)} RUL values"
        )
    if max_units is not None:
        train = train[train["unit"].isin(np.sort(train["unit"].unique())[:max_units])]
        test = test[test["unit"].isin(units[:max_units])]
        true_rul = true_rul[:max_units]
    return train, test, true_rul


def phm08_score(error: np.ndarray) -> float:
    """PHM08 asymmetric score, ``d = predicted − true``: late predictions cost more."""
    return float(np.sum(np.where(error < 0, np.exp(-error / 13.0) - 1.0, np.exp(error / 10.0) - 1.0)))


def _result(
    subset: str, predicted: np.ndarray, true_rul: np.ndarray, cap: float, model: str
) -> EvaluationResult:
    error = predicted - true_rul
    capped_error = predicted - np.minimum(true_rul, cap)
    return EvaluationResult(
        task="cmapss",
        metric="rmse",
        value=round(float(np.sqrt(np.mean(error**2))), 3),
        extras={
            "subset": subset,
            "model": model,
            "rmse_true_rul_capped": round(float(np.sqrt(np.mean(capped_error**2))), 3),
            "phm08_score": round(phm08_score(error), 1),
            "test_units": len(true_rul),
            "protocol": f"train target capped at {cap:g}; RMSE at each test unit's last cycle vs RUL file",
        },
    )


def evaluate(
    path: Path, subset: str | None = None, max_units: int | None = None, config: RulConfig | None = None
) -> EvaluationResult:
    """Test RMSE of :class:`RulModel` on ``subset`` (default: the first subset found in ``path``)."""
    path = Path(path)
    subsets = find_subsets(path)
    chosen = subset or subsets[0]
    if chosen not in subsets:
        raise DatasetFormatError("cmapss", str(path), f"subset {chosen} not found (have {subsets})")
    cfg = config or RulConfig()
    train, test, true_rul = load_subset(path, chosen, max_units)
    model = RulModel(SETTINGS, SENSORS, cfg).fit(train)
    predicted = model.predict_last(test).to_numpy()
    result = _result(chosen, predicted, true_rul, cfg.rul_cap, "RulModel (gradient boosting ensemble)")
    result.extras["operating_conditions"] = model.conditions.n_conditions
    return result


def evaluate_baseline(
    path: Path, subset: str | None = None, max_units: int | None = None
) -> EvaluationResult:
    """Baseline: linear regression on the raw sensors of the current cycle, same capped target."""
    path = Path(path)
    chosen = subset or find_subsets(path)[0]
    train, test, true_rul = load_subset(path, chosen, max_units)
    cap = RulConfig().rul_cap
    target = np.minimum(train.groupby("unit")["cycle"].transform("max") - train["cycle"], cap)
    columns = [*SETTINGS, *SENSORS, "cycle"]
    model = LinearRegression().fit(train[columns], target)
    last = test.sort_values(["unit", "cycle"]).groupby("unit").tail(1)
    predicted = np.clip(model.predict(last[columns]), 0.0, None)
    return _result(chosen, predicted, true_rul, cap, "linear regression")
