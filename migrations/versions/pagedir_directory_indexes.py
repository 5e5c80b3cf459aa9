"""Directory sorts and filters read in index order (issue 11): indexes only, no row is touched

With 10,000 cities every directory page sorted all of them (a temporary B-tree over the whole table) and the
"strong in" filter looked up each assessment row: one index per sort (and its twin behind ``status`` for the
verified-only directory), a covering index for the programme's figures by region, and ``city_id`` appended to
``ix_assessment_area_current`` so the filters are one range scan.

Revision ID: pagedir_directory_indexes
Revises: survey2_survey_job
"""
import sqlalchemy as sa
from alembic import op

revision = 'pagedir_directory_indexes'
down_revision = 'survey2_survey_job'
branch_labels = None
depends_on = None

LOWER_NAME = sa.text("lower(name)")
POPULATION = sa.text("coalesce(population, -1) DESC")

CITY_INDEXES = {
    "ix_city_sort_name": [LOWER_NAME, "id"],
    "ix_city_status_sort_name": ["status", LOWER_NAME, "id"],
    "ix_city_sort_population": [POPULATION, "id"],
    "ix_city_status_sort_population": ["status", POPULATION, "id"],
    "ix_city_sort_updated": ["updated_at", "id"],
    "ix_city_status_sort_updated": ["status", "updated_at", "id"],
    "ix_city_status_sort_country": ["status", "country", LOWER_NAME, "id"],
    "ix_city_figures": ["region", "status", "mentor_capacity", "wants_mentor"],
}


def upgrade():
    for name, columns in CITY_INDEXES.items():
        op.create_index(name, "city", columns, unique=False)
    op.drop_index("ix_assessment_area_current", table_name="assessment")
    op.create_index("ix_assessment_area_current", "assessment",
                    ["area_id", "is_current", "maturity", "need", "city_id"], unique=False)


def downgrade():
    op.drop_index("ix_assessment_area_current", table_name="assessment")
    op.create_index("ix_assessment_area_current", "assessment", ["area_id", "is_current", "maturity", "need"],
                    unique=False)
    for name in reversed(CITY_INDEXES):
        op.drop_index(name, table_name="city")
