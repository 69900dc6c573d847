"""Demo feedback: messages from the public in every state, entered through the services.

On the Coastal Expressway (managed by manager@): one published and answered,
one published and overdue for a reply, one waiting for moderation, one hidden
with a reason. On Northgate Hospital, one about a milestone, answered; on
Lakeside Water, a recent one not yet answered (and not yet overdue).

Dates count back from today, so the overdue one stays overdue whenever the
demo is loaded.
"""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from pptracker.database import today
from pptracker.extensions import db
from pptracker.feedback import services
from pptracker.feedback.models import Feedback, FeedbackCategory
from pptracker.milestones.models import Milestone
from pptracker.projects.models import Project

# code, milestone title | None, category, message, name, email, received (days ago),
# published (days ago) | None, hidden reason | None, (reply, days ago) | None
FEEDBACK = [
    (
        "coastal-toll-road",
        None,
        FeedbackCategory.COST,
        "Why did the class 1 toll between Aveiro and Mira go up again in January? "
        "The tariff table on this page shows the increase but not the reason.",
        "Joana S.",
        "joana.s@example.org",
        45,
        44,
        None,
        (
            "The toll is indexed to inflation every January under the concession contract "
            "(clause 14.2). This year's index was 2.1%. The tariff page lists each change "
            "with its reason.",
            40,
        ),
    ),
    (
        "coastal-toll-road",
        None,
        FeedbackCategory.QUALITY,
        "Deep potholes on the northbound lane just after the Mira interchange.\n"
        "Two cars had flat tyres there last week.",
        None,
        None,
        20,
        19,
        None,
        None,
    ),
    (
        "coastal-toll-road",
        None,
        FeedbackCategory.QUESTION,
        "Will the service area at Vagos reopen before the summer?",
        "Paulo",
        "paulo@example.org",
        1,
        None,
        None,
        None,
    ),
    (
        "coastal-toll-road",
        None,
        FeedbackCategory.OTHER,
        "The cashier at the Mira toll plaza on Tuesday night was rude to me. "
        "I want her name published here.",
        None,
        "angry.driver@example.org",
        10,
        None,
        "Asks to name a member of staff. Complaints about staff go to the operator's "
        "customer service, which has been told.",
        None,
    ),
    (
        "northgate-hospital",
        "Block B handed over",
        FeedbackCategory.COMMUNITY,
        "Construction lorries for Block B use Moor Lane before 7 am. "
        "The planning conditions say 8 am.",
        "Moor Lane Residents' Association",
        "residents@example.org",
        30,
        29,
        None,
        (
            "Thank you. The contractor has moved deliveries to the Elm Road gate and "
            "confirmed no lorries before 8 am. Report any further breach here.",
            26,
        ),
    ),
    (
        "lakeside-water-treatment",
        None,
        FeedbackCategory.ENVIRONMENT,
        "Is the plant's discharge into the lake monitored, and are the results public?",
        "A. Lindqvist",
        None,
        4,
        3,
        None,
        None,
    ),
]


def _days_ago(days: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days), time(10, 30), tzinfo=UTC)


def load_feedback(users) -> int:
    """Receive, moderate and answer the demo feedback; a message already there is skipped.

    :return: how many messages were created.
    """
    admin = users["admin@example.org"]
    created = 0
    for n, row in enumerate(FEEDBACK, start=1):
        code, milestone, category, message, name, email, received, published, hidden, reply = row
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        if project is None or db.session.scalar(
            sa.select(Feedback.id).where(
                Feedback.project_id == project.id, Feedback.message == message
            )
        ):
            continue
        milestones = db.session.scalars(
            sa.select(Milestone).where(
                Milestone.project_id == project.id, Milestone.is_deleted.is_(False)
            )
        ).all()
        milestone_id = next((m.id for m in milestones if m.title == milestone), None)
        feedback = services.submit_feedback(
            project,
            services.FeedbackData(
                message=message,
                category=category,
                milestone_id=milestone_id,
                name=name,
                email=email,
            ),
            # Documentation addresses (RFC 5737): one demo sender each.
            client=services.client_hash(f"192.0.2.{n}", secret=current_app.config["SECRET_KEY"]),
            milestones=milestones,
            now=_days_ago(received),
        )
        if published is not None:
            services.publish_feedback(feedback, actor=admin, now=_days_ago(published))
        if hidden is not None:
            services.hide_feedback(feedback, hidden, actor=admin, now=_days_ago(received - 1))
        if reply is not None:
            body, replied = reply
            services.reply_to_feedback(
                feedback, body, author=project.managers[0], now=_days_ago(replied)
            )
        created += 1
    return created
