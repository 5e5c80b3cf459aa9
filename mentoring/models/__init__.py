"""The data model, one module per aggregate; importing this package registers every table."""
from mentoring.models.accounts import Notification, OutboxMessage, User
from mentoring.models.audit import AuditEvent
from mentoring.models.base import Base, utcnow
from mentoring.models.cities import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityInvitation,
    CityLanguage,
    CityMember,
    Commission,
)
from mentoring.models.mentorships import (
    Feedback,
    Goal,
    GoalProgress,
    LearningNote,
    MentoringSession,
    Mentorship,
    MentorshipMentor,
    ReminderSent,
    SharedLink,
)
from mentoring.models.people import (
    Circular,
    CircularDelivery,
    DigestItem,
    EndorsementLink,
    Message,
    NotificationPreference,
    ProgrammeContact,
    ThreadRead,
)
from mentoring.models.programme import NotePublication
from mentoring.models.requests import CityPreference, MentorRequest
from mentoring.models.rounds import MatchRound, Proposal, RoundCommission
from mentoring.models.survey import SurveyJob

__all__ = [
    "Assessment", "AuditEvent", "Base", "CapabilityArea", "City", "CityCommission",
    "CityInvitation", "CityLanguage", "CityMember", "CityPreference", "Commission", "Feedback", "Goal",
    "GoalProgress", "LearningNote", "MatchRound", "MentorRequest", "MentoringSession", "Mentorship",
    "MentorshipMentor", "NotePublication", "Notification", "OutboxMessage", "Proposal", "ReminderSent",
    "RoundCommission", "SharedLink", "SurveyJob", "User", "utcnow",
    "Circular", "CircularDelivery", "DigestItem", "EndorsementLink", "Message",
    "NotificationPreference", "ProgrammeContact", "ThreadRead",
]
