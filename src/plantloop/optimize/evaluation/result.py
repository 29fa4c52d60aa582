"""What every benchmark evaluation returns, and the errors it raises.

Error tree::

    InvalidInput (kernel)
     └── EvaluationError           an evaluation cannot run
          ├── UnknownTask          no evaluation is registered under that task name
          └── DatasetFormatError   the data folder is missing or not in the task's format
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plantloop.kernel.errors import InvalidInput


@dataclass(frozen=True)
class EvaluationResult:
    """One benchmark figure: ``metric`` of ``task`` is ``value``; ``extras`` holds secondary figures."""

    task: str
    metric: str
    value: float
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "metric": self.metric, "value": self.value, **self.extras}


class EvaluationError(InvalidInput):
    code = "evaluation_error"


class UnknownTask(EvaluationError):
    code = "unknown_task"

    def __init__(self, task: str, known: list[str]) -> None:
        super().__init__(f"unknown task {task!r}; known tasks: {', '.join(known)}", task=task, known=known)
        self.task = task


class DatasetFormatError(EvaluationError):
    code = "dataset_format"

    def __init__(self, task: str, path: str, reason: str) -> None:
        super().__init__(f"{path} is not a {task} data folder: {reason}", task=task, path=path)
        self.task = task
        self.path = path
