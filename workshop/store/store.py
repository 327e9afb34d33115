"""The workspace store: applications, interviews, answers and answer history.

Answers cost a meeting to collect, so the store is built to never lose one:

* each save is one short transaction that writes the answer and its history row
  together (SQLite in WAL mode with ``synchronous=FULL``: once ``save_answer``
  returns, the answer survives the process being killed);
* writes take SQLite's write lock up front (``BEGIN IMMEDIATE``) so two sessions
  saving at once queue instead of failing half-way;
* every save carries the revision it was based on, so a stale edit from a second
  browser is refused (:class:`StaleEditError`) instead of silently overwriting;
* disk-full and read-only workspaces raise :class:`WorkspaceError` with a message a
  person can act on; the transaction is rolled back, the database stays consistent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from workshop.core.errors import InputError, NotFoundError, StaleEditError, WorkspaceError
from workshop.core.text import bad_character, name_key
from workshop.core.workspace import database_url, resolve_workspace
from workshop.interview.model import (
    Answer,
    Application,
    HistoryEntry,
    Interview,
    check_slug,
    clean_line,
    utcnow,
)
from workshop.store import migrate
from workshop.store.base import new_id
from workshop.store.baseline_store import BaselineStoreMixin
from workshop.store.drill_store import DrillStoreMixin
from workshop.store.rules_store import RuleStoreMixin
from workshop.store.schema import answer_history, answers, applications, interviews
from workshop.store.usecase_store import UseCaseStoreMixin

#: Sentinel for "leave this field as it is" in :meth:`Store.save_answer`.
UNSET: Any = object()


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # pragma: no cover - exercised through every test
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get("write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Store(UseCaseStoreMixin, BaselineStoreMixin, RuleStoreMixin, DrillStoreMixin):
    """All reads and writes of a workspace database."""

    # -- opening ------------------------------------------------------------
    @classmethod
    def open(cls, workspace: str | Path | None = None, url: str | None = None) -> Store:
        """Open (creating and upgrading as needed) the store of a workspace folder."""
        ws = resolve_workspace(workspace)
        url = url or database_url(ws)
        if url.startswith("sqlite"):
            try:
                ws.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WorkspaceError(f"cannot create workspace folder {ws}: {exc.strerror or exc}") from exc
        return cls.from_url(url, ws)

    @classmethod
    def from_url(cls, url: str, workspace: Path | None = None) -> Store:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if engine.dialect.name == "sqlite":
            _sqlite_setup(engine)
        store = cls(engine, workspace)
        try:
            with store._read() as conn:  # an up-to-date workspace is opened without writing
                current = migrate.current_revision(conn)
            if current != migrate.head_revision():
                with store._write() as conn:
                    migrate.upgrade(conn)
        except WorkspaceError:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- applications -------------------------------------------------------
    def list_applications(self) -> list[Application]:
        with self._read() as conn:
            rows = conn.execute(select(applications).order_by(func.lower(applications.c.name))).all()
        return [self._app(r) for r in rows]

    def has_application(self, slug: str) -> bool:
        with self._read() as conn:
            return (
                conn.execute(select(applications.c.id).where(applications.c.slug == slug)).first() is not None
            )

    def create_application(self, app: Application) -> Application:
        app = app.validated()
        try:
            with self._write() as conn:
                self._insert_application(conn, app)
        except IntegrityError:
            raise InputError(f"an application with slug '{app.slug}' already exists") from None
        return self.get_application(app.slug)

    @staticmethod
    def _check_unique_name(conn: Connection, name: str, slug: str) -> None:
        """Refuse a name that is, or looks like, another application's (every caller: UI, CLI, import).

        Compared by :func:`workshop.core.text.name_key` (NFKC, case-folded, invisible characters
        dropped), inside the writing transaction."""
        key = name_key(name)
        for row in conn.execute(select(applications.c.slug, applications.c.name)):
            if row.slug != slug and name_key(row.name) == key:
                raise InputError(f"an application named '{row.name}' exists already ({row.slug}); choose another name")

    @classmethod
    def _insert_application(cls, conn: Connection, app: Application) -> int:
        cls._check_unique_name(conn, app.name, app.slug)
        now = utcnow()
        result = conn.execute(
            insert(applications).values(
                slug=app.slug,
                name=app.name,
                owner=app.owner,
                criticality=app.criticality,
                description=app.description,
                platforms=list(app.platforms),
                created_at=now,
                updated_at=now,
            )
        )
        return new_id(result)

    def update_application(self, slug: str, **fields: Any) -> Application:
        current = self.get_application(slug)
        allowed = {"name", "owner", "criticality", "description", "platforms"}
        bad = set(fields) - allowed
        if bad:
            raise InputError(f"cannot change {', '.join(sorted(bad))} of an application")
        merged = current.to_dict() | fields
        app = Application.from_dict(merged).validated()
        with self._write() as conn:
            self._check_unique_name(conn, app.name, slug)
            conn.execute(
                update(applications)
                .where(applications.c.slug == slug)
                .values(
                    name=app.name,
                    owner=app.owner,
                    criticality=app.criticality,
                    description=app.description,
                    platforms=list(app.platforms),
                    updated_at=utcnow(),
                )
            )
        return self.get_application(slug)

    def delete_application(self, slug: str) -> None:
        """Delete an application and everything recorded about it."""
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            ids = [
                r.id
                for r in conn.execute(select(interviews.c.id).where(interviews.c.application_id == app_id))
            ]
            if ids:
                conn.execute(answer_history.delete().where(answer_history.c.interview_id.in_(ids)))
                conn.execute(answers.delete().where(answers.c.interview_id.in_(ids)))
                conn.execute(update(interviews).where(interviews.c.id.in_(ids)).values(previous_id=None))
                conn.execute(interviews.delete().where(interviews.c.id.in_(ids)))
            conn.execute(applications.delete().where(applications.c.id == app_id))

    # -- interviews ---------------------------------------------------------
    _interview_cols = (
        interviews,
        applications.c.slug.label("app_slug"),
    )

    @staticmethod
    def _interview(row: Any) -> Interview:
        return Interview(
            id=row.id,
            application=row.app_slug,
            questionnaire_id=row.questionnaire_id,
            questionnaire_version=row.questionnaire_version,
            held_on=row.held_on,
            facilitator=row.facilitator,
            participants=tuple(row.participants or ()),
            status=row.status,
            current_section=row.current_section,
            previous_id=row.previous_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _interview_query(self):
        return select(*self._interview_cols).join(
            applications, applications.c.id == interviews.c.application_id
        )

    def create_interview(
        self,
        slug: str,
        questionnaire_id: str,
        questionnaire_version: str,
        *,
        held_on: str = "",
        facilitator: str = "",
        participants: Sequence[str] = (),
        previous_id: int | None = None,
    ) -> Interview:
        with self._write() as conn:
            new_id = self._insert_interview(
                conn,
                self._app_id(conn, check_slug(slug)),
                questionnaire_id,
                questionnaire_version,
                held_on,
                facilitator,
                participants,
                previous_id,
            )
        return self.get_interview(new_id)

    @staticmethod
    def _insert_interview(
        conn: Connection,
        app_id: int,
        questionnaire_id: str,
        questionnaire_version: str,
        held_on: str,
        facilitator: str,
        participants: Sequence[str],
        previous_id: int | None,
    ) -> int:
        now = utcnow()
        result = conn.execute(
            insert(interviews).values(
                application_id=app_id,
                questionnaire_id=questionnaire_id,
                questionnaire_version=str(questionnaire_version),
                held_on=clean_line(held_on, "date", 10) or now.date().isoformat(),
                facilitator=clean_line(facilitator, "facilitator"),
                participants=[clean_line(p, "participant") for p in participants if str(p).strip()],
                status="open",
                current_section="",
                previous_id=previous_id,
                created_at=now,
                updated_at=now,
            )
        )
        return new_id(result)

    def import_interview(
        self,
        slug: str,
        questionnaire_id: str,
        questionnaire_version: str,
        states: dict[str, dict[str, Any]],
        *,
        create_application: Application | None = None,
        held_on: str = "",
        facilitator: str = "",
        participants: Sequence[str] = (),
        who: str = "",
        previous_id: int | None = None,
    ) -> Interview:
        """Create (the application and) an interview with its answers in one transaction."""
        app = create_application.validated() if create_application is not None else None
        try:
            return self._import_interview_once(slug, app, questionnaire_id, questionnaire_version, states,
                                               held_on, facilitator, participants, who, previous_id)  # fmt: skip
        except IntegrityError:
            if app is None or not self._same_application(app):
                raise InputError(f"an application with slug '{slug}' already exists") from None
        # Another import created the same application between our check and our insert (two
        # people importing one new application at once): add this interview to it, exactly as
        # if the imports had run one after the other.
        try:
            return self._import_interview_once(slug, None, questionnaire_id, questionnaire_version, states,
                                               held_on, facilitator, participants, who, previous_id)  # fmt: skip
        except IntegrityError:
            raise InputError(f"an application with slug '{slug}' already exists") from None

    def _same_application(self, app: Application) -> bool:
        """True when the stored application with ``app``'s slug has exactly ``app``'s profile."""
        try:
            return self.get_application(app.slug).profile_dict() == app.profile_dict()
        except NotFoundError:
            return False

    def _import_interview_once(
        self, slug: str, app: Application | None, questionnaire_id: str, questionnaire_version: str,
        states: dict[str, dict[str, Any]], held_on: str, facilitator: str, participants: Sequence[str],
        who: str, previous_id: int | None,
    ) -> Interview:  # fmt: skip
        with self._write() as conn:
            app_id = self._insert_application(conn, app) if app else self._app_id(conn, check_slug(slug))
            new_id = self._insert_interview(
                conn,
                app_id,
                questionnaire_id,
                questionnaire_version,
                held_on,
                facilitator,
                participants,
                previous_id,
            )
            now = utcnow()
            for qid, state in states.items():
                current = Answer(qid)
                self._apply(conn, new_id, None, current, current.state() | state, who, now)
        return self.get_interview(new_id)

    def get_interview(self, interview_id: int) -> Interview:
        with self._read() as conn:
            row = conn.execute(self._interview_query().where(interviews.c.id == interview_id)).first()
        if row is None:
            raise NotFoundError(f"no interview {interview_id} in this workspace")
        return self._interview(row)

    def list_interviews(self, slug: str | None = None) -> list[Interview]:
        """Interviews, newest first (all applications when ``slug`` is None)."""
        q = self._interview_query().order_by(interviews.c.created_at.desc(), interviews.c.id.desc())
        if slug is not None:
            q = q.where(applications.c.slug == slug)
        with self._read() as conn:
            return [self._interview(r) for r in conn.execute(q)]

    def latest_interview(self, slug: str) -> Interview | None:
        found = self.list_interviews(slug)
        return found[0] if found else None

    def update_interview(self, interview_id: int, **fields: Any) -> Interview:
        allowed = {"held_on", "facilitator", "participants", "status", "current_section"}
        bad = set(fields) - allowed
        if bad:
            raise InputError(f"cannot change {', '.join(sorted(bad))} of an interview")
        values: dict[str, Any] = {}
        for key, val in fields.items():
            if key == "participants":
                values[key] = [clean_line(p, "participant") for p in val if str(p).strip()]
            elif key == "status":
                if val not in ("open", "closed"):
                    raise InputError("interview status must be 'open' or 'closed'")
                values[key] = val
            else:
                values[key] = clean_line(val, key.replace("_", " "), 200)
        values["updated_at"] = utcnow()
        with self._write() as conn:
            done = conn.execute(update(interviews).where(interviews.c.id == interview_id).values(**values))
            if done.rowcount == 0:
                raise NotFoundError(f"no interview {interview_id} in this workspace")
        return self.get_interview(interview_id)

    def set_current_section(self, interview_id: int, section_id: str) -> None:
        """Remember where the facilitator is, so a reopened workshop resumes there."""
        with self._write() as conn:
            conn.execute(
                update(interviews)
                .where(interviews.c.id == interview_id)
                .values(current_section=section_id[:100])
            )

    # -- answers ------------------------------------------------------------
    @staticmethod
    def _answer(row: Any) -> Answer:
        return Answer(
            question_id=row.question_id,
            value=row.value,
            unknown=bool(row.unknown),
            follow_up=bool(row.follow_up),
            follow_up_owner=row.follow_up_owner,
            follow_up_note=row.follow_up_note,
            revision=row.revision,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )

    def answers(self, interview_id: int) -> dict[str, Answer]:
        """The interview's answers by question id, in question-id order on every database.

        Without ORDER BY, SQLite happens to return them in its unique index's order while
        PostgreSQL's order follows its plan (a sequential scan after updates moves rows), which
        changes with table statistics, so with the moment autovacuum last analysed the table.
        """
        with self._read() as conn:
            rows = conn.execute(
                select(answers).where(answers.c.interview_id == interview_id).order_by(answers.c.question_id)
            )
            return {r.question_id: self._answer(r) for r in rows}

    def get_answer(self, interview_id: int, question_id: str) -> Answer | None:
        with self._read() as conn:
            row = conn.execute(
                select(answers).where(
                    answers.c.interview_id == interview_id, answers.c.question_id == question_id
                )
            ).first()
        return self._answer(row) if row else None

    def save_answer(
        self,
        interview_id: int,
        question_id: str,
        value: Any = UNSET,
        *,
        unknown: bool | None = None,
        follow_up: bool | None = None,
        follow_up_owner: str | None = None,
        follow_up_note: str | None = None,
        who: str = "",
        expected_revision: int | None = None,
    ) -> Answer:
        """Save one answer (value and/or flags) and its history row in one transaction.

        The value must already be checked against its question (see
        :mod:`workshop.services.interview`). ``expected_revision`` is the revision the editor
        started from (0 for "no answer yet"); if the stored one differs, someone else
        saved in between and :class:`StaleEditError` is raised with their answer.
        Saving what is already stored is a no-op and writes no history.

        On a server database two first saves of the same question can race to insert
        the row; the loser retries once and then sees the winner's answer (and, with
        an expected revision, reports the stale edit).
        """
        who = clean_line(who, "who")
        for attempt in range(3):
            try:
                return self._save_answer_once(
                    interview_id, question_id, value, unknown, follow_up, follow_up_owner, follow_up_note, who,
                    expected_revision,
                )  # fmt: skip
            except IntegrityError:
                if attempt == 2:
                    raise WorkspaceError(
                        f"could not save '{question_id}': it kept changing under us; try again"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _save_answer_once(
        self, interview_id, question_id, value, unknown, follow_up, follow_up_owner, follow_up_note, who,
        expected_revision,
    ) -> Answer:  # fmt: skip
        with self._write() as conn:
            query = select(answers).where(
                answers.c.interview_id == interview_id, answers.c.question_id == question_id
            )
            if conn.dialect.name != "sqlite":
                query = query.with_for_update()  # SQLite already holds the write lock (BEGIN IMMEDIATE)
            row = conn.execute(query).first()
            current = self._answer(row) if row else Answer(question_id)
            if expected_revision is not None and expected_revision != current.revision:
                raise StaleEditError(
                    f"'{question_id}' was changed by {current.updated_by or 'someone else'} "
                    "since you opened it; reload to see their answer",
                    current=current,
                )
            new_state = current.state()
            if value is not UNSET:
                new_state["value"] = value
            if unknown is not None:
                new_state["unknown"] = bool(unknown)
            if follow_up is not None:
                new_state["follow_up"] = bool(follow_up)
            if follow_up_owner is not None:
                new_state["follow_up_owner"] = clean_line(follow_up_owner, "follow-up owner")
            if follow_up_note is not None:
                note = str(follow_up_note)
                if len(note) > 5000:
                    raise InputError("follow-up note is longer than 5,000 characters")
                bad = bad_character(note, multiline=True)
                if bad:
                    raise InputError(f"follow-up note contains control characters ({bad})")
                new_state["follow_up_note"] = note
            if (
                row is None
                and conn.execute(select(interviews.c.id).where(interviews.c.id == interview_id)).first()
                is None
            ):
                raise NotFoundError(f"no interview {interview_id} in this workspace")
            if new_state == current.state():
                # nothing changes (an empty answer to a question never answered is no answer either)
                return current
            saved = self._apply(conn, interview_id, row, current, new_state, who, utcnow())
            conn.execute(
                update(interviews).where(interviews.c.id == interview_id).values(updated_at=saved.updated_at)
            )
        return saved

    def _apply(
        self,
        conn: Connection,
        interview_id: int,
        row: Any,
        current: Answer,
        new_state: dict[str, Any],
        who: str,
        now: Any,
    ) -> Answer:
        """Write the new state of one answer and its history row (inside the caller's transaction)."""
        qid = current.question_id
        revision = current.revision + 1
        if row is None:
            conn.execute(
                insert(answers).values(
                    interview_id=interview_id,
                    question_id=qid,
                    revision=revision,
                    updated_at=now,
                    updated_by=who,
                    **new_state,
                )
            )
        else:
            conn.execute(
                update(answers)
                .where(answers.c.id == row.id)
                .values(revision=revision, updated_at=now, updated_by=who, **new_state)
            )
        conn.execute(
            insert(answer_history).values(
                interview_id=interview_id,
                question_id=qid,
                at=now,
                who=who,
                old=current.state() if row is not None else None,
                new=new_state,
                revision=revision,
            )
        )
        return Answer(qid, revision=revision, updated_at=now, updated_by=who, **new_state)

    def save_answers(self, interview_id: int, states: dict[str, dict[str, Any]], who: str = "") -> int:
        """Save many answers in one transaction (imports): all or nothing. Returns how many changed."""
        changed = 0
        now = utcnow()
        with self._write() as conn:
            existing = {
                r.question_id: r
                for r in conn.execute(select(answers).where(answers.c.interview_id == interview_id))
            }
            for qid, state in states.items():
                row = existing.get(qid)
                current = self._answer(row) if row else Answer(qid)
                new_state = current.state() | state
                if new_state == current.state():
                    continue
                self._apply(conn, interview_id, row, current, new_state, who, now)
                changed += 1
            conn.execute(update(interviews).where(interviews.c.id == interview_id).values(updated_at=now))
        return changed

    def history(self, interview_id: int, question_id: str | None = None) -> list[HistoryEntry]:
        q = select(answer_history).where(answer_history.c.interview_id == interview_id)
        if question_id is not None:
            q = q.where(answer_history.c.question_id == question_id)
        with self._read() as conn:
            rows = conn.execute(q.order_by(answer_history.c.id))
            return [
                HistoryEntry(
                    id=r.id,
                    interview_id=r.interview_id,
                    question_id=r.question_id,
                    at=r.at,
                    who=r.who,
                    old=r.old,
                    new=r.new,
                    revision=r.revision,
                )
                for r in rows
            ]

    def integrity_check(self) -> list[str]:
        """SQLite's own consistency check; an empty list means the database is sound."""
        if self.engine.dialect.name != "sqlite":
            return []
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").all()
        return [r[0] for r in rows if r[0] != "ok"]
