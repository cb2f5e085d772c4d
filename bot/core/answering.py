"""Question -> Answer: the LLM when configured, the offline answerer otherwise, the same checks for both."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from bot.core.compose import HANDOVER_TEXT, DeviceFacts, StatusFacts, compose, device_sentence, status_answer
from bot.core.contradict import contradictions
from bot.core.conversations import ConversationStore
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.llm import LLMClient, LLMError
from bot.core.outage import is_unavailable
from bot.core.outgoing import Outgoing
from bot.core.prompts import Prompts, format_faq
from bot.core.registry import DeviceRegistry
from bot.core.router import Route
from bot.core.semantic import load_embedder
from bot.core.status.labels import format_time
from bot.core.status.recovery import DeviceRecovery
from bot.core.status.snapshot import StatusSnapshot
from bot.core.text.gate import OutputGate
from bot.core.text.length import cap_answer
from bot.core.text.normalize import fold
from bot.core.text.output import looks_like_internal_error
from bot.core.text.rules import SafetyRules
from bot.core.text.scanner import DEVICE_ID_REMOVED, IdScanner
from bot.core.understanding import Understanding, intents_for

log = logging.getLogger(__name__)

Source = Literal["llm", "offline", "cache", "refusal", "limit"]
ConversationKind = Literal["thread", "dm", "mention", "slash", "cli"]

MAX_QUESTION_CHARS = 2000  # longer questions are cut (and the customer told) before anything else
HISTORY_TURNS = 8
HISTORY_CHARS = 3000
UNANSWERED_BEFORE_HANDOVER = 2
CACHE_BY_ENTRY = 0.6  # a route to one FAQ entry at least this sure shares the LLM's answer across rephrasings
_ADVISING = frozenset({"faq", "status", "device", "unknown", "device_id"})  # answers that carry safety lines
INTENT_HINTS = {
    "faq": "a question the FAQ answers",
    "unknown": "a question the FAQ may not answer: if it does not, say so and offer a member of staff",
    "status": "a question about the status",
    "device": "a question about the customer's own devices",
}
_PERSONAL = re.compile(r"\b(my|mine)\s+(device|phone|imei|meid|registration|wren)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


class StatusProvider(Protocol):
    async def snapshot(self) -> StatusSnapshot | None: ...


class NoStatus:
    async def snapshot(self) -> StatusSnapshot | None:
        return None


@dataclass(frozen=True, slots=True)
class Question:
    customer_id: int
    text: str
    channel_id: int  # the conversation's place: a thread, a DM channel, or 0 for slash/CLI
    kind: ConversationKind = "dm"


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    source: Source
    escalate: str | None = None  # why a person should take over now (asked / upset / tool)
    offer_human: bool = False  # the bot could not answer: offer a person
    answer_id: int | None = None
    faq_keys: tuple[str, ...] = ()
    parts: tuple[str, ...] = field(default=())
    intent: str = ""  # what the router decided the customer meant (bot.core.router.Intent)

    @property
    def answered(self) -> bool:
        return not self.offer_human and self.source not in ("refusal", "limit")


class RateLimiter:
    """At most `per_minute` questions per customer in any 60 seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}

    def allow(self, customer_id: int) -> bool:
        now = self.clock()
        window = self._seen.setdefault(customer_id, deque())
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        if len(self._seen) > 50_000:  # forget idle customers
            for cid in [c for c, w in self._seen.items() if not w or now - w[-1] >= 60]:
                del self._seen[cid]
        return True


def cache_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class Answerer:
    def __init__(
        self,
        *,
        knowledge: KnowledgeBase,
        prompts: Prompts,
        conversations: ConversationStore,
        registry: DeviceRegistry,
        status: StatusProvider,
        llm: LLMClient | None,
        company: str,
        handover_fallback: str,
        questions_per_minute: int = 6,
        daily_token_budget: int = 2_000_000,
        serial_pattern: str | None = None,
        scanner: IdScanner | None = None,
        allowed_domains: tuple[str, ...] = (),
        max_chars: int = 1800,
        max_messages: int = 2,
        clock: Callable[[], float] = time.monotonic,
        read_only: bool = False,
        understanding: Understanding | None = None,
        device_status: Callable[[int], Awaitable[Sequence[DeviceRecovery]]] | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.prompts = prompts
        self.conversations = conversations
        self.registry = registry
        self.status = status
        self.llm = llm
        self.company = company
        self.handover_fallback = handover_fallback
        self.daily_token_budget = daily_token_budget
        self.scanner = scanner or IdScanner(serial_pattern)
        self.allowed_domains = allowed_domains
        self.max_chars = max_chars
        self.max_messages = max_messages
        self.outgoing = Outgoing(self.scanner, max_messages)
        self._gate: tuple[str, OutputGate] | None = None
        self.limiter = RateLimiter(questions_per_minute, clock)
        self.read_only = read_only  # `python -m bot ask`: reads the cache and budget; writes no log, cache or tokens
        self._misses: dict[tuple[int, int], int] = {}  # (customer, place) -> unanswered questions in a row
        self.understanding = understanding or Understanding(
            knowledge, intents_for(prompts.directory), load_embedder(), company
        )
        self._device_status = device_status or _no_devices
        self._devices_seen: dict[int, tuple[float, list[DeviceRecovery]]] = {}
        self._offline_done: dict[tuple[str, Route, str, int], Answer] = {}
        self._judged: tuple[SafetyRules, dict[str, bool]] | None = None  # FAQ texts already held to the rules
        self.clock = clock

    def _missed_again(self, q: Question, answer: Answer) -> bool:
        key = (q.customer_id, q.channel_id)
        if not answer.offer_human:
            self._misses.pop(key, None)
            return False
        misses = self._misses.get(key, 0) + 1
        if misses >= UNANSWERED_BEFORE_HANDOVER:
            self._misses.pop(key, None)
            return True
        if len(self._misses) > 50_000:
            self._misses.clear()
        self._misses[key] = misses
        return False

    @property
    def safety(self) -> SafetyRules:
        return self.prompts.safety

    @property
    def gate(self) -> OutputGate:
        """The checks on model text (rebuilt when the prompts are reloaded; its counters carry over)."""
        template = self.prompts.system_template
        if self._gate is None or self._gate[0] is not template:
            gate = OutputGate(
                self.scanner,
                never=lambda t: self.safety.violations(t),
                internal_error=looks_like_internal_error,
                allowed_domains=self.allowed_domains,
                system_prompt=template,
            )
            if self._gate is not None:
                gate.counters = self._gate[1].counters
            self._gate = (template, gate)
        return self._gate[1]

    # -- the pipeline ------------------------------------------------------------------------

    async def answer(self, q: Question, *, record: bool = True) -> Answer:
        record = record and not self.read_only
        text = _CONTROL.sub("", q.text).strip()
        truncated = len(text) > MAX_QUESTION_CHARS
        text = text[:MAX_QUESTION_CHARS]
        # device IDs never go further than this line: not to the LLM, not to storage, not to logs
        clean = self.scanner.redact(text)
        if not self.limiter.allow(q.customer_id):
            return self._finish(
                "You're sending questions faster than I can answer them well. Please wait a minute, "
                "then ask again: nothing you asked is lost.",
                "limit",
            )
        status = await self.status.snapshot()
        facts = status.facts if status is not None else None
        route = self.understanding.route(clean, device_id_found=DEVICE_ID_REMOVED in clean, status=facts)
        if route.intent == "human":
            return await self._handover_now(q, clean, "asked", record=record)

        conv_id = await self.conversations.open(q.customer_id, q.channel_id, q.kind) if record else None
        try:
            answer = await self._routed(q, clean, route, status, conv_id)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # the database is away (a restart): the offline answer needs none of it, and is recorded later
            self.conversations.db.outage.failed("answering a question", exc)
            answer = self._offline(clean, route, facts, [])
        if route.upset and answer.escalate is None and route.intent in _ADVISING:
            answer = replace(answer, escalate="upset")  # shouting: answered, and a person brought in too
        if answer.escalate is None and self._missed_again(q, answer):
            # offered a person once already: the second question in a row the bot cannot answer goes to staff
            answer = replace(answer, escalate="unanswered")
        if truncated:
            note = "(Your message was very long, so I read only the first part of it.)\n\n"
            answer = replace(answer, text=note + answer.text, parts=self.outgoing.parts(note + answer.text))
        if record:
            answer_id = await self.conversations.record(
                customer_id=q.customer_id,
                conversation_id=conv_id,
                question=clean,
                answer=answer,
                faq_version=self.knowledge.version,
            )
            answer = replace(answer, answer_id=answer_id)
        return answer

    async def _routed(
        self, q: Question, clean: str, route: Route, status: StatusSnapshot | None, conv_id: int | None
    ) -> Answer:
        """The answer for the route: the LLM's for an FAQ question when there is one, else the offline one."""
        if route.intent in ("faq", "unknown") and self.llm is not None:
            return await self._grounded(q, clean, route, status, conv_id)
        devices: list[DeviceFacts] = []
        if route.intent in ("status", "device"):
            devices = list(await self.device_status(q.customer_id))
        return self._offline(clean, route, status.facts if status is not None else None, devices)

    async def device_status(self, customer_id: int) -> list[DeviceRecovery]:
        """The customer's devices and their restore states, read at most every few seconds per customer."""
        now = self.clock()
        seen = self._devices_seen.get(customer_id)
        if seen is not None and now - seen[0] < DEVICE_STATUS_TTL:
            return seen[1]
        if not await self.registry.has_devices(customer_id):
            return []
        devices = list(await self._device_status(customer_id))
        if len(self._devices_seen) > 50_000:
            self._devices_seen.clear()
        self._devices_seen[customer_id] = (now, devices)
        return devices

    def forget_devices(self, customer_id: int) -> None:
        """The customer registered or removed a device: read their devices again next time."""
        self._devices_seen.pop(customer_id, None)

    async def _handover_now(self, q: Question, clean: str, reason: str, *, record: bool) -> Answer:
        answer = replace(self._finish(HANDOVER_TEXT, "offline", escalate=reason), intent="human")
        if not record:
            return answer
        conv_id = await self.conversations.open(q.customer_id, q.channel_id, q.kind)
        answer_id = await self.conversations.record(
            customer_id=q.customer_id, conversation_id=conv_id, question=clean, answer=answer,
            faq_version=self.knowledge.version,
        )
        return replace(answer, answer_id=answer_id)

    async def _grounded(
        self,
        q: Question,
        clean: str,
        route: Route,
        status: StatusSnapshot | None,
        conv_id: int | None,
    ) -> Answer:
        """An FAQ question (or one the FAQ does not answer) through the LLM, grounded on the same route."""
        assert self.llm is not None
        facts = status.facts if status is not None else None
        offline = self._offline(clean, route, facts, [])
        status_version = status.version if status else "-"
        registered = await self.registry.list_for(q.customer_id)
        # an answer about "my phone" may depend on the asker's own devices: only then is it not shared
        personal = bool(_PERSONAL.search(clean)) and bool(registered)
        # keyed on the folded question: one key however it is spelled
        folded = fold(clean, markdown=True, squeeze=True).text
        keys = [cache_key("q", " ".join(self.knowledge.key_terms(folded)), self.knowledge.version, status_version)]
        if route.intent == "faq" and route.faq_key and route.confidence >= CACHE_BY_ENTRY:
            # a clear match for one FAQ entry: rephrasings of that question share the LLM's answer
            keys.append(cache_key("faq", route.faq_key, self.knowledge.version, status_version))
        if not personal:
            cached = await self.conversations.cached(keys)
            if cached is not None and self.scanner.contains(cached.answer):
                log.error("a cached answer holds a device ID; not using it")
                cached = None
            if cached is not None:
                hit = self._finish(cached.answer, "cache", faq_keys=tuple(k for k in cached.faq_keys.split(",") if k))
                return replace(hit, intent=route.intent)
        if not await self.conversations.budget_left(self.daily_token_budget):
            log.info("daily LLM token budget reached; answering offline")
            return offline
        entries = self.understanding.search(clean, k=3)
        devices = list(await self.device_status(q.customer_id)) if registered else []
        try:
            # the conversation so far is read only when the LLM will see it
            history = await self.conversations.history(conv_id, HISTORY_TURNS, HISTORY_CHARS) if conv_id else []
            if not devices:  # no recovery news for them yet: their devices, masked
                devices_text = ", ".join(f"{d.kind.upper()} {d.masked}" for d in registered)
            else:
                devices_text = "\n".join(device_sentence(d, ()) for d in devices)
            reply = await self.llm.complete(self._messages(clean, route, entries, status, history, devices_text))
        except LLMError:
            return offline
        if not self.read_only:
            await self.conversations.spend(reply.tokens)
        if reply.handover_reason and not reply.text:
            return replace(offline, escalate="assistant")
        own_ids = await self.registry.own_ids(q.customer_id) if registered else []
        checked = self._check_llm_text(reply.text, entries, status, devices_text, own_ids)
        if checked is None:
            return offline
        wrong = contradictions(checked, facts, dict(self.understanding.intents.topic_aliases))
        if wrong:
            log.warning("LLM answer contradicts the live status (%s); answering offline", wrong[0][:60])
            return offline
        faq_keys = (route.faq_key,) if route.intent == "faq" and route.faq_key else ()
        answer = self._finish(
            checked,
            "llm",
            instructions=self.safety.applicable(clean, checked),
            faq_keys=faq_keys,
            escalate="assistant" if reply.handover_reason else None,
            allowed_ids=own_ids,
        )
        answer = replace(answer, intent=route.intent)
        # the cache holds only answers built from no customer-specific input: no registered device in the
        # prompt, no conversation history, no device ID in the question; stored after every check
        generic = (
            not registered and not history and clean == _CONTROL.sub("", q.text).strip()[:MAX_QUESTION_CHARS]
        )
        if generic and not reply.handover_reason and not self.scanner.contains(answer.text) and not self.read_only:
            await self.conversations.store_cache(keys, answer.text, faq_keys, self.knowledge.version, q.customer_id)
        return answer

    def _check_llm_text(
        self,
        text: str,
        entries: Sequence[FaqEntry],
        status: StatusSnapshot | None,
        devices_text: str,
        own_ids: list[str],
    ) -> str | None:
        """The LLM's text if it may be sent, else None (and the offline answer goes instead).

        It must not look like an internal error, break a Never rule, state a time, date, amount,
        percentage or link that its grounding (the FAQ it was given, the status, the customer's
        devices, the company's domains) does not, repeat the system prompt, or hold a device ID
        that is not the asker's own. Refusals are logged and counted (`self.gate.counters`).
        """
        grounding = [format_faq(entries), devices_text]
        if status is not None:
            grounding += [status.text, status.line()]
            if status.facts is not None:  # what the model was shown of the status, as data
                grounding.append(status_answer(status.facts, (), ()))
        never_text = text.replace(status.text, "") if status else text  # the status may quote "do not ..."
        verdict = self.gate.check(text, grounding=grounding, allowed_ids=own_ids, never_text=never_text)
        if not verdict.ok:
            log.warning("LLM answer refused (%s); answering offline", "; ".join(verdict.reasons)[:300])
            return None
        return text

    def _offline(
        self, clean: str, route: Route, facts: StatusFacts | None, devices: Sequence[DeviceFacts]
    ) -> Answer:
        """The offline reply for the route: composed from data, an FAQ entry, or an honest short reply.

        Without devices it depends only on the text, the route, the FAQ and the status: kept and reused, since
        an incident day asks the same questions thousands of times."""
        key = (clean, route, self.knowledge.version, hash(facts)) if not devices else None
        if key is not None and (done := self._offline_done.get(key)) is not None:
            return done
        answer = self._compose_offline(clean, route, facts, devices)
        if key is not None:
            if len(self._offline_done) > 20_000:
                self._offline_done.clear()
            self._offline_done[key] = answer
        return answer

    def _breaks_never_rule(self, text: str) -> bool:
        """Whether an FAQ text breaks a Never rule. FAQ texts are few and fixed, and judging one costs far more
        than the rest of an offline answer: each is judged once per version of the rules (a reload starts over)."""
        rules = self.safety
        if self._judged is None or self._judged[0] is not rules:
            self._judged = (rules, {})
        seen = self._judged[1]
        verdict = seen.get(text)
        if verdict is None:
            verdict = bool(rules.violations(text))
            if len(seen) > 4096:
                seen.clear()
            seen[text] = verdict
        return verdict

    def _compose_offline(
        self, clean: str, route: Route, facts: StatusFacts | None, devices: Sequence[DeviceFacts]
    ) -> Answer:
        draft = self.understanding.draft(route, facts, devices)
        if draft.faq_keys and self._breaks_never_rule(draft.text):
            log.error("FAQ entry %r breaks a Never rule; not sending it", draft.faq_keys[0])
            draft = compose(Route("unknown", 0.0, route.text), company=self.company, status=facts)
        text = draft.text if draft.status_line is None else f"{draft.text}\n\n{draft.status_line}"
        # standing instructions go with answers about the incident, and only those the question touches
        instructions = self.safety.applicable(clean, text) if draft.intent in _ADVISING else []
        answer = self._finish(
            text,
            "refusal" if draft.source == "refusal" else "offline",
            instructions=instructions,
            faq_keys=draft.faq_keys,
            escalate=draft.escalate,
            offer_human=draft.offer_human,
        )
        return replace(answer, intent=draft.intent)

    def _finish(
        self,
        text: str,
        source: Source,
        *,
        instructions: list[str] | None = None,
        status: StatusSnapshot | None = None,
        faq_keys: tuple[str, ...] = (),
        escalate: str | None = None,
        offer_human: bool = False,
        allowed_ids: list[str] | None = None,
    ) -> Answer:
        """Assemble the final text and pass it through the checks every outgoing answer gets."""
        blocks = [cap_answer(text, self.max_chars)]
        if status is not None:
            blocks.append(status.line())
        missing = [i for i in instructions or [] if _squash(i) not in _squash(text)]
        if missing:
            blocks.append("\n".join("• " + i for i in missing))
        final, parts = self.outgoing.check("\n\n".join(b for b in blocks if b), allowed_ids or ())
        return Answer(
            text=final, source=source, escalate=escalate, offer_human=offer_human, faq_keys=faq_keys, parts=parts
        )

    def _messages(
        self,
        clean: str,
        route: Route,
        entries: Sequence[FaqEntry],
        status: StatusSnapshot | None,
        history: list[tuple[str, str]],
        devices: str,
    ) -> list[dict[str, str]]:
        facts = status.facts if status is not None else None
        if facts is not None:
            status_text = status_answer(facts, (), ()) + (f"\nIncident: {facts.title}." if facts.title else "")
        else:
            status_text = status.text if status else "No status has been published yet."
        system = self.prompts.render_system(
            {
                "company": self.company,
                "faq": format_faq(entries) or "(no FAQ entry matches this question)",
                "status": status_text,
                "status_as_of": format_time(status.as_of) if status else "not yet published",
                "instructions": "\n".join("- " + i for i in self.safety.applicable(clean, "")) or "(none)",
                "devices": devices or "(none registered)",
                "intent": INTENT_HINTS.get(route.intent, route.intent),
            }
        )
        messages = [{"role": "system", "content": system}]
        for role, content in history:
            messages.append({"role": "user" if role == "customer" else "assistant", "content": content})
        messages.append({"role": "user", "content": clean})
        return messages

    def handover_failed_text(self) -> str:
        return (
            "I couldn't open a conversation with our staff just now, sorry. Your request is recorded and "
            f"our team will follow up; you can also reach us through {self.handover_fallback}."
        )


DEVICE_STATUS_TTL = 10.0  # seconds a customer's device states are reused (they change on feed polls)


async def _no_devices(customer_id: int) -> list[DeviceRecovery]:
    return []


def _squash(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


