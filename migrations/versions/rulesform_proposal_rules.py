"""The programme's rules that decided a proposal (issue 10: rules in the round form).

A nullable JSON list on ``proposal``: ``[{"code": …, …data}]``, rendered in the reader's language by
``mentoring/services/rule_reasons.py``. Existing rows keep NULL (no rule decided them).

Revision ID: rulesform_proposal_rules
Revises: pages_assessment_city_index
"""
import sqlalchemy as sa
from alembic import op

revision = "rulesform_proposal_rules"
down_revision = "pages_assessment_city_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("rules", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("rules")
