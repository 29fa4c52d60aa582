"""The registry of benchmark evaluations: task name → ``evaluate(path) -> EvaluationResult``.

Modules are imported lazily so that asking for one task does not load the others' dependencies. A new task
(e.g. ``rca`` over simulator scenarios) is one more entry in :data:`TASK_MODULES`: a module under
``plantloop.optimize.evaluation`` exposing ``evaluate(path: Path) -> EvaluationResult``, or a call to
:func:`register_task` at run time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from plantloop.optimize.evaluation.result import EvaluationResult, UnknownTask

Evaluator = Callable[[Path], EvaluationResult]

#: task name → module under plantloop.optimize.evaluation that defines ``evaluate(path)``.
TASK_MODULES: dict[str, str] = {
    "skab": "skab",
    "nab": "nab",
    "cmapss": "cmapss",
    "ai4i": "ai4i",
    "rca": "rca",
}

_registered: dict[str, Evaluator] = {}


def register_task(name: str, evaluator: Evaluator) -> None:
    """Add (or replace) an evaluation at run time."""
    _registered[name] = evaluator


def known_tasks() -> list[str]:
    return sorted(set(TASK_MODULES) | set(_registered))


def get_evaluator(task: str) -> Evaluator:
    """The ``evaluate`` function of ``task``; :class:`UnknownTask` if there is none."""
    if task in _registered:
        return _registered[task]
    module_name = TASK_MODULES.get(task)
    if module_name is None:
        raise UnknownTask(task, known_tasks())
    module = importlib.import_module(f"plantloop.optimize.evaluation.{module_name}")
    evaluator: Evaluator = module.evaluate
    return evaluator


def evaluate_task(task: str, path: Path) -> EvaluationResult:
    """Run the evaluation of ``task`` on the data folder ``path``."""
    return get_evaluator(task)(Path(path))
