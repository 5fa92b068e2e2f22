"""Tables of the FAQ: entries and their translations, what was asked, feedback, passive mode.

People are referenced through `members.id`. Feedback and the questions a member asked that
the bot could not answer are theirs: ON DELETE CASCADE (erasing a member removes them). The
author of an entry is SET NULL: an answer the federation curates outlives who typed it. The
ask log (`faq_asks`) counts verdicts for `faq stats`; a `faq ask` row also keeps the question
and who asked it (CASCADE), so that a click on its buttons can teach the FAQ those words.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.schema import UTCDateTime, member_ref, metadata

# Limits shared by the commands, the YAML importer and the columns.
QUESTION_MAX = 300
ANSWER_MAX = 2000
VARIANTS_MAX = 20
TAGS_MAX = 10
TAG_MAX = 30
ASKED_MAX = 500  # an unanswered question as typed, clipped

faq_entries = Table(
    "faq_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lang", String(2), nullable=False),
    Column("question", String(QUESTION_MAX), nullable=False),
    Column("answer", Text, nullable=False),
    Column("variants", JSON, nullable=False),  # list of other phrasings, entry's language
    Column("tags", JSON, nullable=False),  # list of keywords
    member_ref("created_by", keep_row=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

faq_translations = Table(
    "faq_translations",
    metadata,
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("question", String(QUESTION_MAX), nullable=False),
    Column("answer", Text, nullable=False),
    PrimaryKeyConstraint("entry_id", "lang", name="pk_faq_translations"),
)

TOKEN_MAX = 24

faq_asks = Table(
    "faq_asks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("asked_at", UTCDateTime(), nullable=False, index=True),
    Column("verdict", String(8), nullable=False),  # answer, suggest, unknown
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="SET NULL"), nullable=True),
    Column("passive", Boolean, nullable=False),
    # `faq ask` only: a random token its buttons carry (so a click finds what was asked, and a
    # batch written twice counts each ask once), the question as typed, its language, and who
    # asked (the question is theirs: erasing them erases it).
    Column("token", String(TOKEN_MAX), nullable=True),
    Column("text", String(ASKED_MAX), nullable=True),
    Column("lang", String(2), nullable=True),
    member_ref("member_id", nullable=True, index=True),
    Index("ix_faq_asks_token", "token", unique=True),
)

faq_unanswered = Table(
    "faq_unanswered",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("normalised", String(ASKED_MAX), nullable=False, unique=True),
    Column("text", String(ASKED_MAX), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_asked_at", UTCDateTime(), nullable=False),
    Column("last_asked_at", UTCDateTime(), nullable=False),
    member_ref("first_asker_id", nullable=True, index=True),
    Column("channel", String(200), nullable=True),
    # The entry the FAQ suggested for it when asked (None: it knew none): `faq unanswered`
    # groups the questions around the same entry.
    Column(
        "nearest_entry_id",
        Integer,
        ForeignKey("faq_entries.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # How many of its askers came from an answer they marked "not helpful" (the FAQ answered,
    # wrongly): `faq unanswered` shows it.
    Column("unhelpful", Integer, nullable=False, server_default="0"),
)

# Who asked an unanswered question, once per person: a digest shows a question only when
# several distinct people asked it (one person repeating it does not make it the community's).
faq_unanswered_askers = Table(
    "faq_unanswered_askers",
    metadata,
    Column(
        "question_id",
        Integer,
        ForeignKey("faq_unanswered.id", ondelete="CASCADE"),
        nullable=False,
    ),
    member_ref("member_id"),
    PrimaryKeyConstraint("question_id", "member_id", name="pk_faq_unanswered_askers"),
)

faq_feedback = Table(
    "faq_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
    member_ref("member_id", index=True),
    Column("helpful", Boolean, nullable=False),
    Column("given_at", UTCDateTime(), nullable=False),
    UniqueConstraint("entry_id", "member_id", name="uq_faq_feedback_vote"),
)

faq_passive_channels = Table(
    "faq_passive_channels",
    metadata,
    Column("channel", String(200), primary_key=True),  # a ChannelRef, platform:workspace:id
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    member_ref("updated_by", keep_row=True),
)

# One row per channel message answered in passive mode: claimed before answering, so a
# redelivered event, a second process or a restart never answers the same message twice.
faq_answered_messages = Table(
    "faq_answered_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="SET NULL"), nullable=True),
    Column("answered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("channel", "message_id", name="uq_faq_answered_messages_message"),
)

# Sentence vectors of an entry's texts (see commands/faq/hybrid.py), so that a start reads them
# instead of encoding every entry again. One row per entry: `texts` lists the texts in the
# order of the float32 rows packed in `vectors`; `encoder` labels the model (name@version) that
# made them. Rows of another encoder are stale: the bot encodes those entries again at start.
faq_vectors = Table(
    "faq_vectors",
    metadata,
    Column(
        "entry_id",
        Integer,
        ForeignKey("faq_entries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("encoder", String(200), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("texts", JSON, nullable=False),
    Column("vectors", LargeBinary, nullable=False),
)

# The learning loop: a member's phrasing of a question (a suggestion they picked, an answer
# they marked helpful) proposed as a variant of that entry, until a FAQ editor accepts or
# rejects it (or `[faq] auto_accept_after` distinct people backed it).
faq_phrasings = Table(
    "faq_phrasings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
    Column("normalised", String(ASKED_MAX), nullable=False),
    Column("text", String(ASKED_MAX), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("first_at", UTCDateTime(), nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
    UniqueConstraint("entry_id", "normalised", name="uq_faq_phrasings_entry_normalised"),
)

# Who backed a phrasing, once per person (auto-acceptance counts distinct people).
faq_phrasing_votes = Table(
    "faq_phrasing_votes",
    metadata,
    Column(
        "phrasing_id", Integer, ForeignKey("faq_phrasings.id", ondelete="CASCADE"), nullable=False
    ),
    member_ref("member_id", index=True),
    PrimaryKeyConstraint("phrasing_id", "member_id", name="pk_faq_phrasing_votes"),
)
