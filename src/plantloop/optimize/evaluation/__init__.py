"""Benchmark evaluations of the analytics models on public data sets, one module per task.

``skab`` (multivariate anomaly detection, SKAB outlier F1), ``nab`` (streaming univariate anomaly detection,
NAB standard-profile score), ``cmapss`` (remaining useful life, test RMSE) and ``ai4i`` (failure prediction,
cross-validated F1). Each follows its data set's published protocol and returns an :class:`EvaluationResult`;
:mod:`.tasks` maps task names to them.
"""

from plantloop.optimize.evaluation.result import (
    DatasetFormatError,
    EvaluationError,
    EvaluationResult,
    UnknownTask,
)
from plantloop.optimize.evaluation.tasks import evaluate_task, known_tasks, register_task

__all__ = [
    "DatasetFormatError",
    "EvaluationError",
    "EvaluationResult",
    "UnknownTask",
    "evaluate_task",
    "known_tasks",
    "register_task",
]
