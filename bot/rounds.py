"""Playing a round: serving a question, answers, upvotes, the reveal and self-grades."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import posts, scoring
from bot.catalogue import Catalogue
from bot.commands.context import Services
from bot.content.question import Difficulty, Question
from bot.errors import (
    NoQuestionsError,
    NotAllowedError,
    NothingOpenError,
    PlatformRefusedError,
    RoundClosedError,
    UnknownQuestionError,
    UsageError,
)
from bot.picking import pick
from bot.storage.database import after_commit
from bot.storage.models import Round
from bot.storage.progress import ProgressRepository
from bot.storage.rounds import RoundRepository
from bot.vocabulary import Actor, Form, FormField, MessageRef, OpenForm, Outcome, Place, Reply

log = logging.getLogger(__name__)
MAX_ANSWER_CHARS = 3000


# What an on-demand round's buttons carry: it is shown before it is stored, so before it has an id.
_TOKEN = re.compile(r"t[0-9a-f]{16}")
NOT_STORED = (
    "I could not save that question, so its Answer and Reveal buttons will not work. Please ask for a question again."
)


def new_token() -> str:
    """Return a fresh token for an on-demand round (64 random bits; a clash fails the insert, never mixes rounds)."""
    return "t" + secrets.token_hex(8)


def button_round_ref(ref: str) -> str:
    """Return the round a button or form names (its id, or its token), or say the button is stale."""
    if not (ref.isdigit() or _TOKEN.fullmatch(ref)):
        raise UsageError("This button is not valid any more.")
    return ref


def answer_form(round_id: int) -> OpenForm:
    """Return the form a member writes their answer in."""
    return OpenForm(
        Form(
            form_id=f"answer:{round_id}",
            title="Your answer",
            fields=(
                FormField(
                    "answer",
                    "Your answer",
                    "Explain it as you would in the interview.",
                    MAX_ANSWER_CHARS,
                ),
            ),
        )
    )


class Rounds:
    """Rounds as members play them."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def serve(
        self,
        actor: Actor,
        place: Place,
        topics: tuple[str, ...],
        difficulty: Difficulty | None,
        answer_first: bool = False,
    ) -> Outcome:
        """Serve a fresh question the channel has not seen lately."""
        catalogue = await self.s.catalogue(place.platform, place.workspace)
        candidates = catalogue.matching(topics, difficulty)
        if not candidates:
            wanted = " ".join(filter(None, [",".join(topics), difficulty.value if difficulty else ""]))
            raise NoQuestionsError(f"No question matches `{wanted}`. Try another difficulty or `/mlquestion topics`.")
        known = self.s.asked.get(place)
        if known is None:
            async with self.s.db.session() as session:
                read = await RoundRepository(session).asked_in_channel(place)
            known = self.s.asked.get(place)  # a concurrent pick here may have read and counted meanwhile
            if known is None:
                self.s.asked.put(place, *read)
                known = read
        question = pick(candidates, *known, catalogue.topic_of, self.s.rng)
        return await self._open(actor, place, question, catalogue, answer_first)

    async def serve_by_id(self, actor: Actor, place: Place, question_id: str, answer_first: bool = False) -> Outcome:
        """Serve one question by its id."""
        catalogue = await self.s.catalogue(place.platform, place.workspace)
        question = catalogue.get(question_id.strip().lower())
        if question is None:
            raise UnknownQuestionError(
                f"There is no question `{question_id}`. Ids look like `cnn-max-pooling`; every question shows its id."
            )
        return await self._open(actor, place, question, catalogue, answer_first)

    async def _open(
        self, actor: Actor, place: Place, question: Question, catalogue: Catalogue, answer_first: bool
    ) -> Outcome:
        """Open an on-demand round: stored now, or (answer first) once the adapter has shown it."""
        self.s.asked.asked(place, question.id)  # before any await, so a concurrent pick here sees it
        opening = _Opening(self, actor, place.in_thread(None), question.id, new_token(), self.s.clock.now())
        name = catalogue.bank.topic_name(question.topic)
        outcome = Outcome.of(Reply(posts.question_post(question, name, opening.token, None)))
        if not answer_first:
            await opening.store()
            return outcome
        self.s.openings.begin(opening.token)
        return replace(outcome, pending=opening)

    async def _remember(
        self, session: AsyncSession, platform: str, workspace: str, actor: Actor, now: datetime
    ) -> None:
        """Keep the member's display name, unless this process wrote the same one lately (noted once committed)."""
        names, user, name = self.s.names, actor.user, actor.display_name
        if names.unchanged(platform, workspace, user, name):
            return
        await ProgressRepository(session).remember_member(platform, workspace, user, name, now)
        after_commit(session, lambda: names.note(platform, workspace, user, name))

    async def open_round_here(self, place: Place) -> Round:
        """Return the open round of the channel (or thread), or say there is none."""
        async with self.s.db.session() as session:
            round_ = await RoundRepository(session).latest_open(place)
        if round_ is None:
            raise NothingOpenError("There is no open question here. Ask for one with `/mlquestion random`.")
        return round_

    async def round(self, ref: str) -> Round:
        """Return a round named by a button."""
        ref = await self._stored(ref)
        async with self.s.db.session() as session:
            round_ = await RoundRepository(session).named(ref)
        if round_ is None:
            raise UsageError("This question no longer exists.")
        return round_

    async def _stored(self, ref: str) -> str:
        """Check a button's round reference; for a round this process is still storing, wait until it is."""
        ref = button_round_ref(ref)
        await self.s.openings.wait(ref)  # before any session: the store needs the connection
        return ref

    def form_for(self, round_: Round) -> OpenForm:
        """Return the answer form, if the round still takes answers."""
        if round_.state not in ("open", "posting"):
            raise RoundClosedError("This question was already revealed; it takes no more answers.")
        return answer_form(round_.id)

    async def submit_answer(self, actor: Actor, round_id: str, text: str) -> Outcome:
        """Record a member's answer from the form, post it for discussion and award points."""
        text = text.strip()
        keep = f"\n\nYour text, so nothing is lost:\n>>> {text}" if text else ""
        if not text:
            raise UsageError("Your answer was empty. Press Answer again and write it.")
        if len(text) > MAX_ANSWER_CHARS:
            raise UsageError(f"Answers can be {MAX_ANSWER_CHARS} characters at most; yours has {len(text)}.{keep}")
        ref = await self._stored(round_id)
        now = self.s.clock.now()
        async with self.s.db.session() as session:  # one transaction: the round, the answer, the points
            repo = RoundRepository(session)
            round_ = await repo.named(ref)
            if round_ is None:
                raise UsageError(f"This question no longer exists.{keep}")
            if round_.state in ("revealing", "revealed", "failed"):
                raise RoundClosedError(f"The model answer is already out, so this answer was not counted.{keep}")
            await self._remember(session, round_.platform, round_.workspace, actor, now)
            answer_id = await repo.add_answer(round_, actor.user, actor.display_name, text, "form", now)
            if answer_id is None:
                raise RoundClosedError(f"You already answered this question; only your first answer counts.{keep}")
            await repo.award(round_, actor.user, scoring.ANSWER_POINTS, "answer", f"answer:{answer_id}", now)
        place = Place(round_.platform, round_.workspace, round_.channel, round_.thread)
        try:
            sent = await self.s.outbound.post(place, posts.answer_post(actor.mention(), text, answer_id))
        except PlatformRefusedError as exc:
            log.warning("answer %s stored but not posted: %s", answer_id, exc.reason)
        else:
            async with self.s.db.session() as session:
                await RoundRepository(session).set_answer_message(answer_id, sent.message_id)
        return Outcome.of(
            Reply(
                posts.info(
                    "Answer recorded",
                    f"+{scoring.ANSWER_POINTS} points. Upvote the others' answers too!",
                ),
                True,
            )
        )

    async def thread_reply(self, actor: Actor, place: Place, message_id: str, text: str) -> bool:
        """Count a member's first substantial reply in a round's thread as their answer."""
        if place.thread is None or not scoring.is_substantial(text):
            return False
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            repo = RoundRepository(session)
            round_ = await repo.by_thread(place)
            if round_ is None or round_.state != "open":
                return False
            await self._remember(session, place.platform, place.workspace, actor, now)
            answer_id = await repo.add_answer(
                round_,
                actor.user,
                actor.display_name,
                text.strip()[:MAX_ANSWER_CHARS],
                "reply",
                now,
            )
            if answer_id is None:
                return False
            await repo.set_answer_message(answer_id, message_id)
            await repo.award(round_, actor.user, scoring.ANSWER_POINTS, "answer", f"answer:{answer_id}", now)
        try:
            await self.s.outbound.react(MessageRef(place, message_id), "✅")
        except PlatformRefusedError as exc:
            log.info("could not confirm reply %s: %s", message_id, exc.reason)
        return True

    async def upvote(self, actor: Actor, answer_id: int | None, place: Place, message_id: str | None) -> Outcome:
        """Record an upvote (button or reaction) and give the author their points."""
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            repo = RoundRepository(session)
            if answer_id is not None:
                answer = await repo.answer(answer_id)
            else:
                answer = await repo.answer_by_message(place, message_id or "")
            if answer is None:
                if answer_id is not None:
                    raise UsageError("That answer no longer exists.")
                return Outcome()
            if answer.user == actor.user:
                raise NotAllowedError("You cannot upvote your own answer.")
            count = await repo.add_upvote(answer, actor.user, now)
            if count is None:
                raise NotAllowedError("You already upvoted this answer.")
            points = scoring.upvote_points(count)
            if points:
                await repo.award(answer, answer.user, points, "upvote", f"upvote:{answer.id}:{count}", now)
        return Outcome.of(Reply(posts.info("Upvoted", f"You upvoted {answer.display_name}'s answer."), True))

    async def reveal(self, actor: Actor | None, round_: Round) -> Outcome:
        """Reveal the model answer now: admins and the asker at once, everyone once it is due."""
        now = self.s.clock.now()
        if round_.state in ("revealing", "revealed"):
            raise RoundClosedError("This question was already revealed; the model answer is posted.")
        if actor is not None and not actor.is_admin:
            mine = round_.kind == "on_demand" and round_.asked_by == actor.user
            if not mine and now < round_.reveal_due_at:
                raise NotAllowedError(
                    f"The answer is revealed {posts.when(round_.reveal_due_at, now)}, after the discussion. "
                    "Admins and whoever asked an on-demand question can reveal it earlier."
                )
        async with self.s.db.session() as session:
            if not await RoundRepository(session).claim_reveal(round_, now):
                raise RoundClosedError("This question is being revealed right now.")
        await self.post_reveal(round_)
        return Outcome()

    async def post_reveal(self, round_: Round) -> None:
        """Post the reveal of a claimed round and close it (also used by the daily sweep)."""
        catalogue = await self.s.catalogue(round_.platform, round_.workspace)
        question = catalogue.get(round_.question_id)
        now = self.s.clock.now()
        if question is None:
            log.warning("round %s: question %s is gone; closing it", round_.id, round_.question_id)
            async with self.s.db.session() as session:
                await RoundRepository(session).mark_revealed(round_.id, now)
            return
        async with self.s.db.session() as session:
            summary = await RoundRepository(session).summary(round_.id)
        place = Place(round_.platform, round_.workspace, round_.channel, round_.thread)
        post = posts.reveal_post(question, round_.number, summary)
        try:
            await self.s.outbound.post(place, post)
        except PlatformRefusedError:
            if round_.thread is None:
                raise
            log.info("round %s: thread unusable, revealing in the channel", round_.id)
            await self.s.outbound.post(place.in_thread(None), post)
        async with self.s.db.session() as session:
            await RoundRepository(session).mark_revealed(round_.id, now)
        if round_.message_id:
            topic_name = catalogue.bank.topic_name(question.topic)
            closed = posts.closed_question_post(question, topic_name, round_.number)
            try:
                await self.s.outbound.update(MessageRef(place.in_thread(None), round_.message_id), closed)
            except PlatformRefusedError as exc:
                log.info("round %s: could not close the question post: %s", round_.id, exc.reason)

    async def grade(self, actor: Actor, question_id: str, grade: str) -> Outcome:
        """Record a self-grade and schedule the member's next review of the question."""
        catalogue = await self.s.catalogue(actor.platform, actor.workspace)
        question = catalogue.get(question_id)
        if question is None:
            raise UsageError("This question no longer exists.")
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            progress = ProgressRepository(session)
            item = await progress.review_item(actor.platform, actor.workspace, actor.user, question_id)
            base: int | None = item.interval_days if item else None
            if item is not None and now - item.last_graded_at < scoring.REGRADE_WINDOW:
                base = item.base_interval_days or None  # a changed mind replaces the last grade
            interval = scoring.next_interval(grade, base)
            await progress.save_review(
                actor.platform,
                actor.workspace,
                actor.user,
                question_id,
                interval,
                base or 0,
                grade,
                now,
            )
            await progress.add_grade(
                actor.platform, actor.workspace, actor.user, question_id, question.topic, grade, now
            )
        label = scoring.GRADE_LABELS[grade]
        days = "tomorrow" if interval == 1 else f"in {interval} days"
        return Outcome.of(
            Reply(
                posts.info(
                    f"Graded: {label}",
                    f"You'll review this question {days} (`/mlquestion review`).",
                ),
                True,
            )
        )

    async def show_answer(self, actor: Actor, question_id: str) -> Outcome:
        """Show a member the model answer of a question they are reviewing, privately."""
        catalogue = await self.s.catalogue(actor.platform, actor.workspace)
        question = catalogue.get(question_id)
        if question is None:
            raise UsageError("This question no longer exists.")
        post = replace(
            posts.reveal_post(question, None, []),
            title=f"Model answer: {question.question}"[:250],
            fields=(),
            footer="Grade yourself to schedule the next review.",
        )
        return Outcome.of(Reply(post, private=True))


@dataclass(frozen=True)
class _Opening:
    """An on-demand round picked and shown, and the one transaction that stores it."""

    rounds: Rounds
    actor: Actor
    place: Place
    question_id: str
    token: str
    now: datetime

    async def store(self) -> None:
        """Store the round (and the member's name); raise when that fails, after forgetting the pick."""
        s = self.rounds.s
        try:
            async with s.db.session() as session:
                await self.rounds._remember(session, self.place.platform, self.place.workspace, self.actor, self.now)
                await RoundRepository(session).open_on_demand(
                    self.place, self.question_id, self.actor.user, self.now, s.default_reveal_after, self.token
                )
        except BaseException:
            s.asked.forget(self.place)  # the pick was counted but not stored: read the channel again next time
            raise
        finally:
            s.openings.end(self.token)

    async def keep(self) -> Outcome:
        """Store the round shown first; when that fails, tell the member privately that its buttons will not work."""
        try:
            await self.store()
        except Exception:
            log.exception(
                "on-demand round %s (%s) was shown in %s but not stored", self.token, self.question_id, self.place
            )
            return Outcome.of(Reply(posts.error(NOT_STORED), private=True))
        return Outcome()
