"""City identity: first-level subdivision and GeoNames id (issue 9)

Every existing city is kept, with subdivision "" (not known) and no GeoNames id: nothing is guessed.
The unique name + country becomes name + country + subdivision for cities without a GeoNames id (whose
GeoNames id is unique), so homonyms of one country can coexist.

Revision ID: identity_city_subdivision
Revises: people_reach_each_other
"""
import sqlalchemy as sa
from alembic import op

revision = 'identity_city_subdivision'
down_revision = 'people_reach_each_other'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subdivision', sa.String(length=8), server_default='', nullable=False))
        batch_op.add_column(sa.Column('geonames_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_city_name_country', type_='unique')
        batch_op.create_index('uq_city_name_country_subdivision', ['name', 'country', 'subdivision'], unique=True,
                              sqlite_where=sa.text('geonames_id IS NULL'),
                              postgresql_where=sa.text('geonames_id IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_city_geonames_id'), ['geonames_id'])


def downgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_city_geonames_id'), type_='unique')
        batch_op.drop_index('uq_city_name_country_subdivision')
        batch_op.create_unique_constraint('uq_city_name_country', ['name', 'country'])
        batch_op.drop_column('geonames_id')
        batch_op.drop_column('subdivision')
