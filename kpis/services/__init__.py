"""Every write of KPI data: imports, recomputes, objective evaluations."""

from .feedback import feedback_create
from .imports import (
    ImportRefused,
    ImportStart,
    check_upload,
    import_create,
    import_enqueue,
    import_execute,
    import_start,
    import_undo,
)
from .objectives import objective_evaluate, objectives_evaluate
from .recompute import (
    bump_versions,
    data_changed,
    publish,
    recompute_execute,
    recompute_fail,
    recompute_request,
    send_run,
)

__all__ = [
    "ImportRefused",
    "ImportStart",
    "bump_versions",
    "check_upload",
    "data_changed",
    "feedback_create",
    "import_create",
    "import_enqueue",
    "import_execute",
    "import_start",
    "import_undo",
    "objective_evaluate",
    "objectives_evaluate",
    "publish",
    "recompute_execute",
    "recompute_fail",
    "recompute_request",
    "send_run",
]
