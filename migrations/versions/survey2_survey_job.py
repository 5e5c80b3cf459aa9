"""Survey files checked and imported in the background (issue 9): table survey_job

A new table only; no existing row is touched.

Revision ID: survey2_survey_job
Revises: rulesform_proposal_rules
"""
import sqlalchemy as sa
from alembic import op

revision = 'survey2_survey_job'
down_revision = 'rulesform_proposal_rules'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'survey_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=120), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('progress', sa.Double(), nullable=False),
        sa.Column('progress_message', sa.String(length=200), nullable=True),
        sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_survey_job_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_job')),
    )
    with op.batch_alter_table('survey_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_job_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_job_user_id'))
    op.drop_table('survey_job')
