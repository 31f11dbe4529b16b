"""Rounds and answers: what was asked where, who answered, who voted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage._sql import insert_new, insert_or_add
from bot.storage.models import Answer, MemberTotal, PointEntry, Round, Scoped, Upvote
from bot.storage.progress import ProgressRepository
from bot.vocabulary import Place

CLAIM_LEASE = timedelta(minutes=5)

_ROUNDS = Round.__table__
assert isinstance(_ROUNDS, Table)
_ANSWERS = Answer.__table__
assert isinstance(_ANSWERS, Table)
# Built once: it runs for every answer posted (a Core statement, without the ORM's bulk-update handling).
_SET_ANSWER_MESSAGE = (
    update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id")).values(message_id=bindparam("message_id"))
)
# The two statements of `/mlquestion random`, built once (their SQL and cache keys are reused on every call).
_THIS_CHANNEL = (
    Round.platform == bindparam("platform"),
    Round.workspace == bindparam("workspace"),
    Round.channel == bindparam("channel"),
)
# What the picker reads: each question's count in the channel, the most recently asked first.
_ASKED = (
    select(Round.question_id, func.count())
    .where(*_THIS_CHANNEL)
    .group_by(Round.question_id)
    .order_by(func.max(Round.opened_at).desc(), func.max(Round.id).desc())
)
_ON_DEMAND = (
    insert(_ROUNDS)  # the table, not the entity: no unit of work for a row nothing reads back
    .values(
        platform=bindparam("platform"),
        workspace=bindparam("workspace"),
        channel=bindparam("channel"),
        question_id=bindparam("question_id"),
        kind="on_demand",
        asked_by=bindparam("asked_by"),
        state="open",
        claimed_at=bindparam("now"),
        opened_at=bindparam("now"),
        reveal_due_at=bindparam("reveal_due_at"),
        token=bindparam("token"),
    )
    .returning(_ROUNDS.c.id)
)
_BY_TOKEN = select(Round).where(Round.token == bindparam("token"))


def _in_channel(place: Place) -> dict[str, str]:
    return {"platform": place.platform, "workspace": place.workspace, "channel": place.channel}


@dataclass(frozen=True)
class AnswerSummary:
    """An answer with its upvote count, for the reveal."""

    user: str
    display_name: str
    upvotes: int


class RoundRepository:
    """Questions asked in channels, and their answers and votes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, round_id: int) -> Round | None:
        """Return the round with this id."""
        return await self.session.get(Round, round_id)

    async def named(self, ref: str) -> Round | None:
        """Return the round a button names: by its id (daily rounds, older buttons) or its token."""
        if ref.isdigit():
            return await self.get(int(ref))
        return await self.session.scalar(_BY_TOKEN, {"token": ref})

    async def asked_in_channel(self, place: Place, recent: int = 20) -> tuple[Counter[str], list[str]]:
        """Return how often each question was asked in the channel, and the `recent` questions it was asked
        last (newest first, each once)."""
        rows = (await self.session.execute(_ASKED, _in_channel(place))).all()
        return Counter({question_id: int(n) for question_id, n in rows}), [row[0] for row in rows[:recent]]

    async def next_daily_number(self, place: Place) -> int:
        """Return the number of the channel's next daily question."""
        highest = await self.session.scalar(
            select(func.max(Round.number)).where(
                Round.platform == place.platform,
                Round.workspace == place.workspace,
                Round.channel == place.channel,
                Round.kind == "daily",
            )
        )
        return (highest or 0) + 1

    async def claim_daily(
        self,
        place: Place,
        local_date: date,
        question_id: str,
        now: datetime,
        reveal_after: timedelta,
    ) -> Round | None:
        """Claim the channel's daily round for `local_date`; None when another process has it."""
        number = await self.next_daily_number(place)
        round_id = await insert_new(
            self.session,
            Round,
            platform=place.platform,
            workspace=place.workspace,
            channel=place.channel,
            question_id=question_id,
            kind="daily",
            number=number,
            local_date=local_date,
            state="posting",
            claimed_at=now,
            opened_at=now,
            reveal_due_at=now + reveal_after,
        )
        return None if round_id is None else await self.get(round_id)

    async def reclaim_stale_posting(self, now: datetime) -> list[Round]:
        """Take over daily rounds whose poster died mid-post (lease expired)."""
        stale = (
            (
                await self.session.execute(
                    select(Round).where(Round.state == "posting", Round.claimed_at <= now - CLAIM_LEASE)
                )
            )
            .scalars()
            .all()
        )
        taken = []
        for round_ in stale:
            won = await self.session.execute(
                update(Round)
                .where(
                    Round.id == round_.id,
                    Round.state == "posting",
                    Round.claimed_at == round_.claimed_at,
                )
                .values(claimed_at=now)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(round_)
        return taken

    async def open_on_demand(
        self,
        place: Place,
        question_id: str,
        asked_by: str,
        now: datetime,
        reveal_after: timedelta,
        token: str | None = None,
    ) -> int:
        """Record an on-demand question served in a channel; return the new round's id."""
        values = {
            **_in_channel(place),
            "question_id": question_id,
            "asked_by": asked_by,
            "now": now,
            "reveal_due_at": now + reveal_after,
            "token": token,
        }
        round_id: int = (await self.session.execute(_ON_DEMAND, values)).scalar_one()
        return round_id

    async def mark_posted(self, round_id: int, message_id: str, thread: str | None, now: datetime) -> None:
        """Record where the daily post landed; the round is now open for answers."""
        await self.session.execute(
            update(Round)
            .where(Round.id == round_id)
            .values(state="open", message_id=message_id, thread=thread, opened_at=now)
        )

    async def mark_failed(self, round_id: int) -> None:
        """Record that the platform refused the post."""
        await self.session.execute(update(Round).where(Round.id == round_id).values(state="failed"))

    async def due_reveals(self, now: datetime, limit: int = 200, platform: str | None = None) -> list[Round]:
        """Return daily rounds whose discussion is over, and reveals whose revealer died (on one platform)."""
        query = select(Round).where(*self._reveal_due(now)).order_by(Round.reveal_due_at).limit(limit)
        if platform is not None:
            query = query.where(Round.platform == platform)
        return list((await self.session.execute(query)).scalars())

    async def reveal_platforms(self, now: datetime) -> set[str]:
        """Return the platforms that have a reveal due."""
        return set(await self.session.scalars(select(Round.platform).where(*self._reveal_due(now)).distinct()))

    @staticmethod
    def _reveal_due(now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            Round.kind == "daily",
            (Round.state == "open") & (Round.reveal_due_at <= now)
            | (Round.state == "revealing") & (Round.claimed_at <= now - CLAIM_LEASE),
        )

    async def claim_reveal(self, round_: Round, now: datetime) -> bool:
        """Take the right to reveal this round; exactly one caller gets True."""
        result = await self.session.execute(
            update(Round)
            .where(
                Round.id == round_.id,
                Round.state == round_.state,
                Round.claimed_at == round_.claimed_at,
                Round.state.in_(("open", "revealing")),
            )
            .values(state="revealing", claimed_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def mark_revealed(self, round_id: int, now: datetime) -> None:
        """Record that the model answer is out."""
        await self.session.execute(update(Round).where(Round.id == round_id).values(state="revealed", revealed_at=now))

    async def latest_open(self, place: Place) -> Round | None:
        """Return the newest open round in the channel (or the thread's round, in a thread)."""
        query = select(Round).where(
            Round.platform == place.platform,
            Round.workspace == place.workspace,
            Round.channel == place.channel,
            Round.state == "open",
        )
        if place.thread is not None:
            query = query.where(Round.thread == place.thread)
        return await self.session.scalar(query.order_by(Round.opened_at.desc(), Round.id.desc()).limit(1))

    async def by_thread(self, place: Place) -> Round | None:
        """Return the round whose discussion thread is `place`."""
        if place.thread is None:
            return None
        return await self.session.scalar(
            select(Round).where(
                Round.platform == place.platform,
                Round.workspace == place.workspace,
                Round.thread == place.thread,
            )
        )

    async def add_answer(
        self, round_: Round, user: str, display_name: str, text: str, source: str, now: datetime
    ) -> int | None:
        """Store a member's answer (and extend their streak); return its id, or None when they already
        answered this round."""
        answer_id = await insert_new(
            self.session,
            Answer,
            round_id=round_.id,
            platform=round_.platform,
            workspace=round_.workspace,
            user=user,
            display_name=display_name,
            text=text,
            source=source,
            created_at=now,
        )
        if answer_id is None:
            return None
        await ProgressRepository(self.session).record_daily_answer(round_, user)
        return answer_id

    async def set_answer_message(self, answer_id: int, message_id: str) -> None:
        """Remember which message shows this answer (reactions on it are upvotes)."""
        await self.session.execute(_SET_ANSWER_MESSAGE, {"answer_id": answer_id, "message_id": message_id})

    async def answer(self, answer_id: int) -> Answer | None:
        """Return an answer by id."""
        return await self.session.get(Answer, answer_id)

    async def answer_by_message(self, place: Place, message_id: str) -> Answer | None:
        """Return the answer shown by this message."""
        return await self.session.scalar(
            select(Answer).where(
                Answer.platform == place.platform,
                Answer.workspace == place.workspace,
                Answer.message_id == message_id,
            )
        )

    async def add_upvote(self, answer: Answer, voter: str, now: datetime) -> int | None:
        """Store an upvote; return how many the answer has, or None if this voter already voted."""
        upvote_id = await insert_new(
            self.session,
            Upvote,
            platform=answer.platform,
            workspace=answer.workspace,
            answer_id=answer.id,
            voter=voter,
            created_at=now,
        )
        if upvote_id is None:
            return None
        count = await self.session.scalar(select(func.count()).where(Upvote.answer_id == answer.id))
        return int(count or 0)

    async def summary(self, round_id: int) -> list[AnswerSummary]:
        """Return the round's answers, most upvoted first."""
        votes = func.count(Upvote.id)
        rows = await self.session.execute(
            select(Answer.user, Answer.display_name, votes)
            .outerjoin(Upvote, Upvote.answer_id == Answer.id)
            .where(Answer.round_id == round_id)
            .group_by(Answer.id, Answer.user, Answer.display_name, Answer.created_at)
            .order_by(votes.desc(), Answer.created_at)
        )
        return [AnswerSummary(user, name, int(count)) for user, name, count in rows]

    async def award(self, where: Scoped, user: str, amount: int, reason: str, ref: str, now: datetime) -> bool:
        """Give points in the workspace of `where` (a round or an answer) once per `ref`, and add them to the
        member's total there; False when they were already given."""
        entry_id = await insert_new(
            self.session,
            PointEntry,
            platform=where.platform,
            workspace=where.workspace,
            user=user,
            amount=amount,
            reason=reason,
            ref=ref,
            created_at=now,
        )
        if entry_id is None:
            return False
        await self.session.execute(
            insert_or_add(
                self.session.get_bind().dialect.name,
                MemberTotal,
                ("platform", "workspace", "user"),
                ("points", "answers"),
            ),
            {
                "platform": where.platform,
                "workspace": where.workspace,
                "user": user,
                "points": amount,
                "answers": int(reason == "answer"),
            },
        )
        return True
