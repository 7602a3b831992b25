"""KPI data, one module per sub-domain:

- common: the no-partner key, fact value columns, period kinds
- facts: daily facts, import runs, fact backups (undo)
- runs: recompute runs and their batches
- snapshots: KPI snapshots, their stage, channel data states, objective statuses
- feedback: customer feedback
- incentives: incentive accruals
- renders: stored renders of the default dashboard views
- sources: import sources (how a file's columns map onto the facts)
- packs: scheduled ROI review packs and their archived renders
- modeling: model runs, their results, events, lift tests, budget plans
- alerts: email alert subscriptions and the attention items they were sent
"""

from .alerts import AlertSent, AlertSubscription
from .common import (
    COUNT_COLUMNS,
    MONEY_COLUMNS,
    NO_PARTNER,
    STORED_PERIOD_KINDS,
    VALUE_COLUMNS,
    PeriodKind,
)
from .facts import DailyFact, FactBackup, ImportRun
from .feedback import CustomerFeedback
from .incentives import IncentiveAccrual
from .modeling import (
    BudgetPlan,
    ChannelModelResult,
    LiftTest,
    ModelChannelSetting,
    ModelEvent,
    ModelRun,
)
from .packs import PackRender, ReviewPack
from .renders import DashboardRender, DashboardState
from .runs import RecomputeBatch, RecomputeRun
from .snapshots import (
    ChannelDataState,
    KpiSnapshot,
    KpiSnapshotStage,
    ObjectiveStatus,
    SnapshotComponents,
)
from .sources import ExchangeRate, Source, header_signature

__all__ = [
    "COUNT_COLUMNS",
    "MONEY_COLUMNS",
    "NO_PARTNER",
    "STORED_PERIOD_KINDS",
    "VALUE_COLUMNS",
    "AlertSent",
    "AlertSubscription",
    "BudgetPlan",
    "ChannelDataState",
    "ChannelModelResult",
    "CustomerFeedback",
    "DailyFact",
    "DashboardRender",
    "DashboardState",
    "ExchangeRate",
    "FactBackup",
    "ImportRun",
    "IncentiveAccrual",
    "KpiSnapshot",
    "KpiSnapshotStage",
    "LiftTest",
    "ModelChannelSetting",
    "ModelEvent",
    "ModelRun",
    "ObjectiveStatus",
    "PackRender",
    "PeriodKind",
    "RecomputeBatch",
    "RecomputeRun",
    "ReviewPack",
    "SnapshotComponents",
    "Source",
    "header_signature",
]
