"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from workflow.models.acts import Act, ActDocument, ActEvent, DocumentSignature
from workflow.models.audit import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead
from workflow.models.bench import BenchRow
from workflow.models.contributions import (
    Body,
    BodyAddress,
    Consultation,
    Contribution,
    Invitation,
    UnionMember,
)
from workflow.models.deadlines import Deadline, DeadlineAssignee
from workflow.models.mail import MailSettings, OutboxMessage
from workflow.models.procedures import Milestone, Procedure, ProcedureStep
from workflow.models.registers import RegisterCounter, RegisterEntry
from workflow.models.users import ApiToken, Delegation, LoginAttempt, User, UserRole

__all__ = [
    "Act",
    "ActDocument",
    "ActEvent",
    "DocumentSignature",
    "RegisterCounter",
    "RegisterEntry",
    "GENESIS_HASH",
    "LoginAttempt",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "BenchRow",
    "Delegation",
    "Body",
    "BodyAddress",
    "Consultation",
    "Contribution",
    "Invitation",
    "UnionMember",
    "Deadline",
    "DeadlineAssignee",
    "MailSettings",
    "Milestone",
    "OutboxMessage",
    "Procedure",
    "ProcedureStep",
    "User",
    "UserRole",
]
