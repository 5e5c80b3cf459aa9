"""Cities, their members and commissions, the capability taxonomy and assessments."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.accounts import User

# UCLG world sections.
REGIONS = (
    "africa",
    "asia_pacific",
    "eurasia",
    "europe",
    "latin_america",
    "middle_east_west_asia",
    "north_america",
)
CITY_STATUSES = ("pending", "verified", "rejected", "suspended")
MEMBER_ROLES = ("representative", "mentor")
MATURITY_LEVELS = (0, 1, 2, 3, 4)
NEED_LEVELS = (0, 1, 2, 3)
MIN_MENTOR_LEVEL = 3


class City(Base):
    __tablename__ = "city"
    __table_args__ = (
        # A city is its GeoNames id when known, else its name in its country's first-level subdivision ("" when
        # not known): two cities may share a name in one country (Suzhou, Jiangsu and Suzhou, Anhui), even in
        # one province (Changzhi, Shanxi ×2) when GeoNames tells them apart.
        Index("uq_city_name_country_subdivision", "name", "country", "subdivision", unique=True,
              sqlite_where=text("geonames_id IS NULL"), postgresql_where=text("geonames_id IS NULL")),
        CheckConstraint("population IS NULL OR population >= 0", name="population"),
        CheckConstraint("mentor_capacity >= 0", name="mentor_capacity"),
        CheckConstraint("priority >= 1", name="priority"),
        Index("ix_city_region_country", "region", "country"),
        # The directory's sorts (services/cities/directory.SORTS), each read in index order so a page of
        # 25 never sorts every city; the ``status`` twins serve the verified-only directory of non-coordinators.
        Index("ix_city_sort_name", func.lower(text("name")), "id"),
        Index("ix_city_status_sort_name", "status", func.lower(text("name")), "id"),
        Index("ix_city_sort_population", func.coalesce(text("population"), -1).desc(), "id"),
        Index("ix_city_status_sort_population", "status", func.coalesce(text("population"), -1).desc(), "id"),
        Index("ix_city_sort_updated", "updated_at", "id"),
        Index("ix_city_status_sort_updated", "status", "updated_at", "id"),
        Index("ix_city_status_sort_country", "status", "country", func.lower(text("name")), "id"),
        # Covering index of the programme's figures by region (home page) and of the region filter.
        Index("ix_city_figures", "region", "status", "mentor_capacity", "wants_mentor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(String(30))
    #: ISO 3166-2 code of the first-level subdivision (province, state, region), "" when not given.
    subdivision: Mapped[str] = mapped_column(String(8), default="", server_default="")
    #: The city's GeoNames identifier, when its source gave one.
    geonames_id: Mapped[int | None] = mapped_column(unique=True)
    population: Mapped[int | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name, for local session times
    website: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    mentor_capacity: Mapped[int] = mapped_column(default=0)
    wants_mentor: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[float] = mapped_column(default=1.0)
    practices: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    languages: Mapped[list[CityLanguage]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="CityLanguage.position"
    )
    commissions: Mapped[list[CityCommission]] = relationship(
        back_populates="city", cascade="all, delete-orphan"
    )
    members: Mapped[list[CityMember]] = relationship(
        back_populates="city", cascade="all, delete-orphan"
    )
    # Only the current assessment of each area; history is queried explicitly.
    assessments: Mapped[list[Assessment]] = relationship(
        primaryjoin="and_(City.id == Assessment.city_id, Assessment.is_current)",
        viewonly=True,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def language_codes(self) -> list[str]:
        return [language.code for language in self.languages]

    @property
    def commission_keys(self) -> list[str]:
        return [membership.commission.key for membership in self.commissions]

    @property
    def subdivision_name(self) -> str:
        from mentoring.services.geography import subdivision_name

        return subdivision_name(self.subdivision)

    def __repr__(self) -> str:
        return f"<City {self.id} {self.name} ({self.country})>"


class CityLanguage(Base):
    """One ISO 639-1 language a city works in; ``position`` keeps the city's own order."""

    __tablename__ = "city_language"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    city: Mapped[City] = relationship(back_populates="languages")


class CityMember(Base):
    __tablename__ = "city_member"
    __table_args__ = (CheckConstraint("role IN ('representative', 'mentor')", name="role"),)

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    city: Mapped[City] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class CityInvitation(Base):
    """A colleague invited by e-mail to join a city; the token is stored only as a hash."""

    __tablename__ = "city_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    city: Mapped[City] = relationship()


class Commission(Base):
    __tablename__ = "commission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    labels: Mapped[dict] = mapped_column(JSON)  # {"en": ..., "fr": ..., "es": ...}


class CityCommission(Base):
    __tablename__ = "city_commission"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    commission_id: Mapped[int] = mapped_column(
        ForeignKey("commission.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    city: Mapped[City] = relationship(back_populates="commissions")
    commission: Mapped[Commission] = relationship(lazy="joined")


class CapabilityArea(Base):
    """An area of the taxonomy; labels and level descriptors are kept per language."""

    __tablename__ = "capability_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    axis: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(default=0)
    labels: Mapped[dict] = mapped_column(JSON)  # {"en": "...", "fr": "...", "es": "..."}
    levels: Mapped[dict] = mapped_column(JSON)  # {"en": ["level 0 descriptor", ...4], ...}
    active: Mapped[bool] = mapped_column(default=True)


class Assessment(Base):
    """A city's maturity, need and mentoring offer in one area, dated.

    Earlier assessments are kept (``is_current`` false) so progress after a mentorship can be shown.
    """

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("maturity BETWEEN 0 AND 4", name="maturity"),
        CheckConstraint("need BETWEEN 0 AND 3", name="need"),
        CheckConstraint("NOT can_mentor OR maturity >= 3", name="can_mentor_level"),
        Index(
            "uq_assessment_current",
            "city_id",
            "area_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        # Covering (city_id last) for the directory's "strong in" / "needs" filters: one range scan.
        Index("ix_assessment_area_current", "area_id", "is_current", "maturity", "need", "city_id"),
        # Covering index for "these cities' current levels" (explanations of a page of proposals):
        # without it SQLite scans every city's row of each area through the index above.
        Index("ix_assessment_city_current", "city_id", "is_current", "area_id", "maturity", "need"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("capability_area.id", ondelete="CASCADE"))
    maturity: Mapped[int] = mapped_column(default=0)
    need: Mapped[int] = mapped_column(default=0)
    can_mentor: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    city: Mapped[City] = relationship()
    area: Mapped[CapabilityArea] = relationship(lazy="joined")
