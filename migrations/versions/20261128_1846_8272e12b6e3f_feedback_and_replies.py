"""Feedback from the public, and the managers' public replies

Revision ID: 8272e12b6e3f
Revises: 64bfc2fe6d7e
Create Date: 2026-11-28 18:46:01.881329

"""
from alembic import op
import sqlalchemy as sa

import pptracker.database


# revision identifiers, used by Alembic.
revision = '8272e12b6e3f'
down_revision = '64bfc2fe6d7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('question', 'delay', 'quality', 'cost', 'environment', 'community', 'corruption', 'other', name='feedbackcategory', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.Enum('pending', 'published', 'hidden', name='feedbackstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', pptracker.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status != 'hidden' OR hidden_reason IS NOT NULL", name=op.f('ck_feedback_hidden_needs_reason')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_feedback_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_feedback_moderated_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_feedback_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_client_hash'), ['client_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_status'), ['status'], unique=False)

    op.create_table('feedback_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pptracker.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feedback_replies_author_id_users')),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_replies_feedback_id_feedback')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_replies'))
    )
    with op.batch_alter_table('feedback_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_replies_feedback_id'), ['feedback_id'], unique=False)



def downgrade():
    with op.batch_alter_table('feedback_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_replies_feedback_id'))

    op.drop_table('feedback_replies')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_status'))
        batch_op.drop_index(batch_op.f('ix_feedback_project_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_client_hash'))

    op.drop_table('feedback')
