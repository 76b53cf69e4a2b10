"""The run context of a training script and the metric protocol it speaks."""

from hypersweep.run.context import OfflineRun, RunContext, SubmittedRun, get_context
from hypersweep.run.protocol import MetricsFileReader, ProtocolError, ProtocolRecord, parse_line

__all__ = [
    "MetricsFileReader",
    "OfflineRun",
    "ProtocolError",
    "ProtocolRecord",
    "RunContext",
    "SubmittedRun",
    "get_context",
    "parse_line",
]
