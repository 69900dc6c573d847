"""create users, parties and projects

Revision ID: e4de5aab0af3
Revises: 
Create Date: 2026-11-28 10:58:45.170489

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = 'e4de5aab0af3'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('identifier_scheme', sa.String(length=40), nullable=True),
    sa.Column('identifier_id', sa.String(length=80), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('street_address', sa.String(length=200), nullable=True),
    sa.Column('locality', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_telephone', sa.String(length=40), nullable=True),
    sa.Column('url', sa.String(length=300), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parties'))
    )
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parties_name'), ['name'], unique=False)

    op.create_table('sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_ip', sa.String(length=45), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('attempted_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempts'))
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_client_ip'), ['client_ip'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('admin', 'manager', 'auditor', name='role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('last_sign_in_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ppp_model', sa.String(length=30), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('public_authority_id', sa.Integer(), nullable=False),
    sa.Column('private_party_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('budget_amount', pptracker.database.Money(precision=18, scale=2), nullable=True),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('published_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('deleted_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('budget_amount >= 0', name=op.f('ck_projects_budget_nonnegative')),
    sa.CheckConstraint('planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start', name=op.f('ck_projects_planned_end_after_start')),
    sa.ForeignKeyConstraint(['private_party_id'], ['parties.id'], name=op.f('fk_projects_private_party_id_parties')),
    sa.ForeignKeyConstraint(['public_authority_id'], ['parties.id'], name=op.f('fk_projects_public_authority_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('code', name=op.f('uq_projects_code'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_ppp_model'), ['ppp_model'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_private_party_id'), ['private_party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_public_authority_id'), ['public_authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_published'), ['published'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_title'), ['title'], unique=False)

    op.create_table('project_managers',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_managers_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_project_managers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_project_managers'))
    )



def downgrade():
    
    op.drop_table('project_managers')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_title'))
        batch_op.drop_index(batch_op.f('ix_projects_status'))
        batch_op.drop_index(batch_op.f('ix_projects_sector'))
        batch_op.drop_index(batch_op.f('ix_projects_published'))
        batch_op.drop_index(batch_op.f('ix_projects_public_authority_id'))
        batch_op.drop_index(batch_op.f('ix_projects_private_party_id'))
        batch_op.drop_index(batch_op.f('ix_projects_ppp_model'))

    op.drop_table('projects')
    op.drop_table('users')
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_client_ip'))
        batch_op.drop_index(batch_op.f('ix_sign_in_attempts_attempted_at'))

    op.drop_table('sign_in_attempts')
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parties_name'))

    op.drop_table('parties')

