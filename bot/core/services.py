"""The core services of one process, built once by the composition root and passed in."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.core.answering import Answerer, StatusProvider
from bot.core.claims import Claims
from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.errors import KnowledgeError
from bot.core.feeds.fetch import FeedFetcher
from bot.core.knowledge import KnowledgeBase
from bot.core.llm import LLMClient
from bot.core.metrics import Metrics
from bot.core.outbox.dm_channels import DmChannels
from bot.core.outbox.wakeup import Wakeup
from bot.core.privacy import PrivacyService
from bot.core.prompts import Prompts, load_prompts
from bot.core.registry import DeviceRegistry
from bot.core.staff.audit import AuditLog
from bot.core.staff.broadcasts import Broadcasts
from bot.core.staff.drafts import StatusDrafts
from bot.core.staff.faq import FaqStore
from bot.core.staff.review import ReviewQueue
from bot.core.staff.tickets import HandoverService
from bot.core.status.recovery import DeviceRecovery
from bot.core.status.service import StatusService
from bot.core.text.scanner import IdScanner

log = logging.getLogger(__name__)


def resolve_device_key(settings: Settings, *, generate_in: Path | None = None) -> str:
    """DEVICE_ID_KEY, or (for the local sandbox only) a key generated once and kept in `generate_in`."""
    if settings.device_id_key is not None:
        return settings.device_id_key.get_secret_value()
    if generate_in is None:
        raise ConfigError(
            "Setting DEVICE_ID_KEY is not set: put a long random secret (at least 16 characters), e.g. the "
            "output of `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`, and keep it safe: "
            "without it the stored device IDs cannot be read."
        )
    path = generate_in / "device_id.key"
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        generate_in.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        # created with owner-only permissions from the start: never readable by others, not even briefly
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
    except OSError as exc:
        raise ConfigError(f"The key file {path} cannot be read or written ({exc.strerror}).") from None
    log.info("generated a device-ID key in %s", path)
    return key


def load_knowledge(settings: Settings) -> tuple[Prompts, KnowledgeBase]:
    """The operators' FAQ, safety rules and prompts, validated; a mistake in them is a ConfigError."""
    folder = settings.knowledge_dir
    try:
        prompts = load_prompts(folder)
    except KnowledgeError as exc:
        raise ConfigError(f"The knowledge files in KNOWLEDGE_DIR ({folder}) have a mistake: {exc}") from None
    except OSError as exc:
        raise ConfigError(
            f"Setting KNOWLEDGE_DIR points at {folder}, where {exc.filename or 'a file'} cannot be read "
            f"({exc.strerror}): put the folder holding faq.md, safety.md and system.md."
        ) from None
    return prompts, KnowledgeBase(prompts.faq, paths=[folder / "faq.md"])


def build_llm(
    settings: Settings, scanner: IdScanner | None = None, metrics: Metrics | None = None
) -> LLMClient | None:
    if settings.openai_api_key is None:
        return None
    return LLMClient(
        observe=metrics.observe_llm if metrics is not None else None,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout=settings.llm_timeout_seconds,
        scanner=scanner or IdScanner.from_settings(settings),
    )


def build_answerer(
    settings: Settings,
    *,
    prompts: Prompts,
    knowledge: KnowledgeBase,
    conversations: ConversationStore,
    registry: DeviceRegistry,
    status: StatusProvider,
    llm: LLMClient | None,
    questions_per_minute: int | None = None,
    read_only: bool = False,
    scanner: IdScanner | None = None,
    device_status: Callable[[int], Awaitable[Sequence[DeviceRecovery]]] | None = None,
) -> Answerer:
    return Answerer(
        knowledge=knowledge,
        prompts=prompts,
        conversations=conversations,
        registry=registry,
        status=status,
        llm=llm,
        company=settings.company_name,
        handover_fallback=settings.handover_fallback,
        questions_per_minute=questions_per_minute or settings.questions_per_minute,
        daily_token_budget=settings.llm_daily_token_budget,
        scanner=scanner or IdScanner.from_settings(settings),
        allowed_domains=tuple(settings.company_domains),
        max_chars=settings.answer_max_chars,
        max_messages=settings.answer_max_messages,
        read_only=read_only,
        device_status=device_status,
    )


@dataclass
class Services:
    settings: Settings
    db: Database
    cipher: DeviceCipher
    registry: DeviceRegistry
    prompts: Prompts
    knowledge: KnowledgeBase
    conversations: ConversationStore
    answerer: Answerer
    handover: HandoverService
    review: ReviewQueue
    llm: LLMClient | None
    status: StatusService
    audit: AuditLog
    faq: FaqStore
    broadcasts: Broadcasts
    drafts: StatusDrafts
    privacy: PrivacyService
    dm_channels: DmChannels
    wakeup: Wakeup  # set by whoever commits outbox rows; the delivery worker waits on it
    scanner: IdScanner  # the one device-ID scanner, used at every boundary
    claims: Claims  # one process of several acts on each incoming event
    metrics: Metrics

    async def close(self) -> None:
        await self.claims.close()
        await self.registry.flush()
        await self.conversations.close()
        await self.dm_channels.flush()
        if self.llm is not None:
            await self.llm.close()
        if self.status.fetcher is not None:
            await self.status.fetcher.close()
        await self.db.dispose()


async def build_services(settings: Settings, *, device_key: str, migrate: bool = True) -> Services:
    prompts, knowledge = load_knowledge(settings)
    db = Database(settings.database_url)
    try:
        if migrate:
            await db.upgrade()
        else:
            await db.ping()
    except BaseException:
        await db.dispose()
        raise
    cipher = DeviceCipher(device_key)
    scanner = IdScanner.from_settings(settings)
    registry = DeviceRegistry(db, cipher, serial_pattern=settings.device_serial_pattern)
    conversations = ConversationStore(db)
    metrics = Metrics()
    llm = build_llm(settings, scanner, metrics)
    wakeup = Wakeup()
    status = StatusService(
        db,
        cipher,
        fetcher=FeedFetcher(settings.status_feed_url) if settings.status_feed_url else None,
        feed_format=settings.status_feed_format,
        status_channel_id=settings.status_channel_id,
        staff_channel_id=settings.staff_channel_id,
        poll_seconds=settings.status_poll_seconds,
        alert_after=settings.feed_alert_after_failures,
        reminder_minutes=settings.next_update_reminder_minutes,
        serial_pattern=settings.device_serial_pattern,
        scanner=scanner,
        wakeup=wakeup,
    )
    answerer = build_answerer(
        settings, prompts=prompts, knowledge=knowledge, conversations=conversations, registry=registry,
        status=status, llm=llm, scanner=scanner, device_status=status.device_status,
    )
    dm_channels = DmChannels(db)
    faq = FaqStore(db, knowledge, conversations)
    await faq.load()
    return Services(
        settings=settings,
        db=db,
        cipher=cipher,
        registry=registry,
        prompts=prompts,
        knowledge=knowledge,
        conversations=conversations,
        answerer=answerer,
        handover=HandoverService(
            db,
            conversations,
            registry,
            scanner,
            staff_channel_id=settings.staff_channel_id,
            sla_minutes=settings.ticket_sla_minutes,
            on_queued=wakeup.notify,
        ),
        review=ReviewQueue(db, on_queued=wakeup.notify),
        llm=llm,
        status=status,
        audit=AuditLog(db, scanner),
        faq=faq,
        broadcasts=Broadcasts(db, staff_channel_id=settings.staff_channel_id, on_queued=wakeup.notify),
        drafts=StatusDrafts(db),
        privacy=PrivacyService(db, cipher, registry, conversations, dm_channels),
        dm_channels=dm_channels,
        wakeup=wakeup,
        scanner=scanner,
        claims=Claims(db),
        metrics=metrics,
    )
