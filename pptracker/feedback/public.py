"""What the portal's project page needs to show feedback and the form to send some.

The portal renders ``feedback/_public.html`` with ``project`` and this context.
"""

from pptracker.database import today
from pptracker.feedback import queries
from pptracker.feedback.forms import FeedbackForm


def context(project, milestones) -> dict:
    """Return the published feedback of ``project``, the feedback form and the reply delay.

    Two SQL statements (the feedback, then their replies) whatever the number of
    messages; the email and moderation notes never leave the query layer.

    :param milestones: the project's live milestones, already loaded by the caller;
        they name what a message is about and fill the form's choices.
    """
    milestones = list(milestones)
    return {
        "feedback_items": queries.public_feedback(project.id, milestones=milestones, today=today()),
        "feedback_form": FeedbackForm(milestones=milestones),
        "feedback_reply_days": queries.reply_days(),
    }
