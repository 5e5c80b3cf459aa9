"""Covering index on the current assessments of given cities (issue 11: pages at network scale).

Revision ID: pages_assessment_city_index
Revises: identity_city_subdivision
"""
from alembic import op

revision = "pages_assessment_city_index"
down_revision = "identity_city_subdivision"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assessment_city_current", "assessment",
                    ["city_id", "is_current", "area_id", "maturity", "need"])


def downgrade():
    op.drop_index("ix_assessment_city_current", table_name="assessment")
