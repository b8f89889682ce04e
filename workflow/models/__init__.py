"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from workflow.models.acts import Act, ActDocument, ActEvent, DocumentSignature
from workflow.models.audit import GENESIS_HASH, AuditEvent, AuditHead
from workflow.models.bench import BenchRow
from workflow.models.procedures import Milestone, Procedure, ProcedureStep
from workflow.models.registers import RegisterCounter, RegisterEntry
from workflow.models.users import ApiToken, User, UserRole

__all__ = [
    "Act",
    "ActDocument",
    "ActEvent",
    "DocumentSignature",
    "RegisterCounter",
    "RegisterEntry",
    "GENESIS_HASH",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "BenchRow",
    "Milestone",
    "Procedure",
    "ProcedureStep",
    "User",
    "UserRole",
]
