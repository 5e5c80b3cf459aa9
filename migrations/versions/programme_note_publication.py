"""Public consent of Peer-Learning Notes (the knowledge library of /programme)

Revision ID: programme_note_publication
Revises: 48d4677865f9
Create Date: 2026-12-01 23:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'programme_note_publication'
down_revision = '48d4677865f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note_publication',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('mentor_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mentor_consent_by_id', sa.Integer(), nullable=True),
    sa.Column('mentee_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mentee_consent_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['mentee_consent_by_id'], ['user.id'], name=op.f('fk_note_publication_mentee_consent_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentor_consent_by_id'], ['user.id'], name=op.f('fk_note_publication_mentor_consent_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['note_id'], ['learning_note.id'], name=op.f('fk_note_publication_note_id_learning_note'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', name=op.f('pk_note_publication'))
    )
    with op.batch_alter_table('note_publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_publication_language'), ['language'], unique=False)


def downgrade():
    with op.batch_alter_table('note_publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_publication_language'))
    op.drop_table('note_publication')
