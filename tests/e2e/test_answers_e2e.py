"""Customers and the product bot, end to end through the real discord.py client and the sandbox."""

from __future__ import annotations

from bot.sandbox import permissions as P
from tests.e2e.conftest import StartBot, World
from tests.fakes.openai_server import FakeOpenAI, Scripted
from tests.helpers import buttons
from tests.sandbox.conftest import BotRunner

IMEI = "490154203237518"
OTHER_IMEI = "356938035643809"


async def test_login_and_command_sync(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    assert world.driver.connected
    assert runner.bot.get_guild(world.guild.id) is not None
    names = set(world.driver.commands(world.guild))
    assert {"ask", "human", "device"} <= names
    device = world.driver.commands(world.guild)["device"]
    assert {o["name"] for o in device.data["options"]} >= {"register", "list", "remove"}


async def test_support_channel_question_is_answered_in_a_thread_with_feedback_buttons(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot()
    d = world.driver
    asked = await d.user_says(world.alice, world.support, "Should I reset my phone? @everyone")
    created = await runner.wait(d.wait_for_event("thread_create", after=asked))
    thread_id = created.data["channel_id"]
    assert thread_id == asked.id  # opened on the customer's message
    reply = await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread_id, after=asked))
    assert "do not reset your phone" in reply.content.lower()
    assert reply.pings.empty
    assert set(buttons(reply)) == {"Helpful", "Not helpful"}
    posts = d.requests("POST", "/channels/{channel_id}/messages")
    assert posts and all(r.json.get("allowed_mentions") == {"parse": []} for r in posts)

    # a follow-up in the thread is answered there, with the conversation's history
    thread = d.server.world.channels[thread_id]
    follow = await d.user_says(world.alice, thread, "what if my battery runs low?")
    reply2 = await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread_id, after=follow))
    assert "charge" in reply2.content.lower()


async def test_dm_and_mention_and_ask(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    dm = await d.user_says(world.alice, "dm", "is my data lost?")
    reply = await runner.wait(d.wait_for_message(after=dm, channel=d.dm_channel(world.alice)))
    assert "Not necessarily" in reply.content

    bot_mention = f"<@{d.bot_user.id}> how do I find my IMEI?"
    said = await d.user_says(world.bob, world.general, bot_mention)
    reply = await runner.wait(d.wait_for_message(after=said, channel=world.general))
    assert "*#06#" in reply.content
    assert reply.reference_id == said.id
    assert reply.pings.empty  # a reply, but without pinging the author

    handle = await d.run_slash(world.bob, "ask", {"question": "will I get compensation?"}, channel=world.general)
    assert await runner.wait(handle.wait_response()) == 5  # deferred: the 3-second limit is never at risk
    answer = await runner.wait(handle.wait_message())
    assert answer.ephemeral
    assert "compensation" in answer.content.lower()


async def test_unanswerable_question_offers_a_person_and_the_button_hands_over(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot()
    d = world.driver
    dm = await d.user_says(world.alice, "dm", "what's the capital of France?")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "don't know" in reply.content
    custom_id = buttons(reply)["Talk to a person"]
    click = await d.click(world.alice, reply, custom_id)
    note = await runner.wait(click.wait_message(lambda m: "private conversation" in m.content))
    assert note.ephemeral
    created = await runner.wait(d.wait_for_event("thread_create", lambda e: e.data["private"], after=dm))
    thread_id = created.data["channel_id"]
    summary = await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread_id and "ticket" in m.content))
    assert summary.pings.roles == frozenset({world.staff_role.id})  # the only mention the bot ever makes
    assert not summary.pings.users and not summary.pings.everyone
    assert "capital of France" in summary.content  # staff need not ask again
    members = d.server.world.channels[thread_id].thread_members
    assert world.alice.id in members


async def test_asking_for_a_human_when_private_threads_are_not_allowed(world: World, start_bot: StartBot) -> None:
    d = world.driver
    for role in (d.bot_role(world.guild), d.everyone_role(world.guild)):
        role.permissions &= ~P.CREATE_PRIVATE_THREADS
    runner = await start_bot()
    await d.user_says(world.alice, "dm", "I want to speak to a real person")
    dm = d.dm_channel(world.alice)
    await runner.wait(d.sleep_until(lambda: len(d.bot_messages(dm)) >= 2))
    text = "\n".join(m.content for m in d.bot_messages(dm))
    assert "couldn't open a conversation" in text
    assert "611" in text  # how else to reach staff
    tickets = await runner.bot.services.handover.list(status="failed")  # type: ignore[attr-defined]
    assert len(tickets) == 1 and tickets[0].customer_id == world.alice.id


async def test_device_id_posted_in_public_is_removed_and_the_customer_told_privately(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.alice, world.support, f"my imei is {IMEI} is my data lost")
    await runner.wait(d.wait_for_event("message_delete", lambda e: e.message is not None and e.message.id == said.id))
    notice = await runner.wait(d.wait_for_message(after=said, channel=d.dm_channel(world.alice)))
    assert "/device register" in notice.content
    assert IMEI not in "".join(m.content for m in d.bot_messages())

    # a customer who refuses DMs is told in the channel, without the number and without a ping
    said = await d.user_says(world.shy, world.support, f"IMEI: {OTHER_IMEI}")
    notice = await runner.wait(d.wait_for_message(after=said, channel=world.support))
    assert "/device register" in notice.content and notice.pings.empty
    assert OTHER_IMEI not in notice.content


async def test_device_register_list_remove_through_a_modal(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    opened = await d.run_slash(world.alice, "device register", channel=world.support)
    modal = await runner.wait(opened.wait_modal())
    field_id = modal["components"][0]["components"][0]["custom_id"]
    bad = await d.submit_modal(world.alice, opened, {field_id: "490154203237519"})
    msg = await runner.wait(bad.wait_message())
    assert msg.ephemeral and "check digit" in msg.content and "*#06#" in msg.content

    opened = await d.run_slash(world.alice, "device register", channel=world.support)
    await runner.wait(opened.wait_modal())
    ok = await d.submit_modal(world.alice, opened, {field_id: "49-015420-323751-8"})
    msg = await runner.wait(ok.wait_message())
    assert msg.ephemeral and "****7518" in msg.content and IMEI not in msg.content

    listed = await d.run_slash(world.alice, "device list", channel=world.support)
    msg = await runner.wait(listed.wait_message())
    assert "IMEI ****7518" in msg.content
    other = await d.run_slash(world.bob, "device list", channel=world.support)
    assert "no registered device" in (await runner.wait(other.wait_message())).content

    auto = await d.autocomplete(world.alice, "device remove", {"device": ""}, "device", channel=world.support)
    await runner.wait(auto.wait_response())
    choices = auto.choices or []
    assert [c["name"] for c in choices] == ["IMEI ****7518"]
    stolen = await d.run_slash(world.bob, "device remove", {"device": choices[0]["value"]}, channel=world.support)
    assert "couldn't find" in (await runner.wait(stolen.wait_message())).content
    removed = await d.run_slash(world.alice, "device remove", {"device": choices[0]["value"]}, channel=world.support)
    assert "no longer registered" in (await runner.wait(removed.wait_message())).content


async def test_feedback_buttons_keep_working_after_a_restart(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    dm = await d.user_says(world.alice, "dm", "how do I register my device?")
    reply = await runner.wait(d.wait_for_message(after=dm))
    await runner.close()
    await runner.bot.services.close()  # type: ignore[attr-defined]

    runner = await start_bot()  # a new process would build exactly this
    click = await d.click(world.bob, reply, buttons(reply)["Helpful"])
    assert "Only the person who asked" in (await runner.wait(click.wait_message())).content
    click = await d.click(world.alice, reply, buttons(reply)["Not helpful"])
    offer = await runner.wait(click.wait_message())
    assert "Talk to a person" in buttons(offer)
    record = await runner.bot.services.conversations.answer_record(  # type: ignore[attr-defined]
        int(buttons(reply)["Helpful"].split(":")[1])
    )
    assert record is not None and record.feedback == "not_helpful"


async def test_llm_answers_through_discord_never_ping_or_leak(
    world: World, start_bot: StartBot, fake_llm: FakeOpenAI
) -> None:
    fake_llm.queue(Scripted(text=f"Hello @everyone and <@&{world.staff_role.id}>! Also {OTHER_IMEI}. " + "x " * 1500))
    runner = await start_bot(openai_api_key="k", openai_base_url=fake_llm.base_url, openai_model="fake-model")
    d = world.driver
    await runner.bot.services.registry.register(world.bob.id, OTHER_IMEI)  # type: ignore[attr-defined]
    dm = await d.user_says(world.alice, "dm", "tell me about the outage")
    first = await runner.wait(d.wait_for_message(after=dm))
    # the answer is complete when its last part carries the buttons
    await runner.wait(d.sleep_until(lambda: any(m.components for m in d.bot_messages(d.dm_channel(world.alice)))))
    sent = d.bot_messages(d.dm_channel(world.alice))
    assert all(len(m.content) <= 2000 for m in sent)
    assert all(m.pings.empty for m in sent)
    text = "".join(m.content for m in sent)
    assert "@everyone" not in text and OTHER_IMEI not in text
    assert not first.content.startswith("Hello")  # someone else's ID: the model's answer is not used at all
    assert len(fake_llm.requests) == 1
    assert OTHER_IMEI not in fake_llm.all_sent_text()


async def test_a_burst_of_questions_is_answered_within_discords_rate_limits(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot(questions_per_minute=100)
    d = world.driver
    mention = f"<@{d.bot_user.id}>"
    users = [d.create_user(f"customer{i}") for i in range(30)]
    for u in users:
        await d.add_member(world.guild, u)
    for u in users:
        await d.user_says(u, world.general, f"{mention} is my data lost?")
    await runner.wait(d.sleep_until(lambda: len(d.bot_messages(world.general)) >= 30, timeout=20), timeout=25)
    replies = d.bot_messages(world.general)
    assert len(replies) == 30
    asked = {m.id for m in d.messages_in(world.general) if m.author_id != d.bot_user.id}
    assert {m.reference_id for m in replies} == asked
    # discord.py waits on X-RateLimit-Remaining: 0, so at most one 429 per bucket, if any
    assert d.rate_limit_hits["message-create"] <= 1
    assert d.rate_limit_hits["global"] == 0


async def dm_burst(world: World, runner: BotRunner, customers: int) -> None:
    d = world.driver
    users = [d.create_user(f"dm-customer{i}") for i in range(customers)]
    for u in users:
        await d.add_member(world.guild, u)
    for u in users:
        await d.user_says(u, "dm", "is my data lost?")
    await runner.wait(
        d.sleep_until(lambda: all(d.bot_messages(d.dm_channel(u)) for u in users), timeout=30), timeout=35
    )
    assert all(len(d.bot_messages(d.dm_channel(u))) == 1 for u in users)


async def test_a_burst_of_dm_answers_never_meets_discords_global_limit(world: World, start_bot: StartBot) -> None:
    # 20 answers to 20 DM channels: no route waits for another, only the bot's pacing keeps them under the limit
    world.server.ratelimiter.global_limit = 5
    runner = await start_bot(discord_global_rate_limit=5, questions_per_minute=100)
    await dm_burst(world, runner, 20)
    assert world.driver.rate_limit_hits["global"] == 0


async def test_without_pacing_the_same_burst_meets_the_global_limit(world: World, start_bot: StartBot) -> None:
    # the control: the sandbox enforces the limit, so the test above could see a 429
    world.server.ratelimiter.global_limit = 5
    runner = await start_bot(discord_global_rate_limit=0, questions_per_minute=100)
    await dm_burst(world, runner, 20)
    assert world.driver.rate_limit_hits["global"] > 0


async def test_the_bot_resumes_after_a_gateway_reconnect(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    await runner.wait(d.reconnect())
    dm = await d.user_says(world.alice, "dm", "what happened?")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "Larkspur Cloud" in reply.content
    assert d.identify_count == 1  # resumed, not re-identified


async def test_the_bot_stays_quiet_in_hand_over_threads(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.alice, world.support, "is my data lost?")
    created = await runner.wait(d.wait_for_event("thread_create", after=said))
    thread = d.server.world.channels[created.data["channel_id"]]
    await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id, after=said))
    handle = await d.run_slash(world.alice, "human", channel=world.support)
    note = await runner.wait(handle.wait_message())
    assert "private conversation" in note.content
    private = await runner.wait(d.wait_for_event("thread_create", lambda e: e.data["private"], after=said))
    private_thread = d.server.world.channels[private.data["channel_id"]]
    await runner.wait(d.wait_for_message(lambda m: m.channel_id == private_thread.id and "ticket" in m.content))
    details = await d.user_says(world.alice, private_thread, "thanks, here are more details")
    # a question in a public support thread is still answered, and nothing was said in the other
    follow = await d.user_says(world.alice, thread, "what if my battery runs low?")
    reply = await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id, after=follow))
    assert "charge" in reply.content.lower()
    # (counted per thread, after the customer spoke: notes about the hand-over elsewhere may still land)
    seq = d.server.log.seq_of
    assert [m for m in d.bot_messages(private_thread) if seq(m.id) > seq(details.id)] == []
    assert [m.id for m in d.bot_messages(thread) if seq(m.id) > seq(follow.id)] == [reply.id]


async def test_the_bot_stays_quiet_when_staff_speak_in_a_customers_thread(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.alice, world.support, "is my data lost?")
    created = await runner.wait(d.wait_for_event("thread_create", after=said))
    thread = d.server.world.channels[created.data["channel_id"]]
    await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id, after=said))

    # the control: these words from the customer, in this very thread, are answered
    asked = await d.user_says(world.alice, thread, "What happened?")
    answer = await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id, after=asked))
    assert "Larkspur Cloud servers" in answer.content

    staff_said = await d.user_says(world.jordan, thread, "What happened?")
    # two more questions from the customer: a reply to staff would have come before their answers
    said = await d.user_says(world.alice, thread, "what if my battery runs low?")
    await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id and "charge" in m.content, after=said))
    said = await d.user_says(world.alice, thread, "how do I find my phone's IMEI?")
    await runner.wait(d.wait_for_message(lambda m: m.channel_id == thread.id and "*#06#" in m.content, after=said))

    after_staff = [m for m in d.bot_messages(thread) if d.server.log.seq_of(m.id) > d.server.log.seq_of(staff_said.id)]
    assert len(after_staff) == 2  # exactly the customer's two answers, nothing for staff
    assert ["charge" in after_staff[0].content, "*#06#" in after_staff[1].content] == [True, True]


async def test_a_broken_database_gets_an_apology_not_silence(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database on fire")

    services.answerer.answer = broken  # the one thing faked: a failure inside the core
    dm = await d.user_says(world.alice, "dm", "is my data lost?")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "something went wrong on our side" in reply.content
    assert "database on fire" not in reply.content and "Traceback" not in reply.content


async def test_in_a_surge_identical_questions_are_answered_once_in_a_pinned_post(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot(surge_mode="always")
    d = world.driver
    heading = "Should I reset or restore my phone?"  # the FAQ's own words, as the post shows them
    asked = [await d.user_says(u, world.support, heading) for u in (world.alice, world.bob, world.shy)]
    post = await runner.wait(d.wait_for_message(after=asked[0], channel=world.support))
    assert post.content.count(f"**{heading}**") == 1
    assert "/ask" in post.content
    assert post.pings.empty
    await runner.wait(d.wait_for_event("reaction", after=asked[-1]))  # each asker is pointed to it when free
    assert d.server.rest.pins.pinned[world.support.id] == [post.id]
    # no thread per question, and one post, not three
    assert not [r for r in d.requests("POST") if r.route and r.route.endswith("/threads")]
    said_in_support = [m for m in d.server.world.messages.values()
                       if m.channel_id == world.support.id and m.author_id == d.bot_user.id]
    assert said_in_support == [post]

    # a question the FAQ cannot answer still reaches the customer one to one, in a thread of its own
    odd = await d.user_says(world.alice, world.support, "my cat walked on the keyboard and sent a fax")
    reply = await runner.wait(d.wait_for_message(lambda m: m.channel_id == odd.id, after=odd))
    assert reply.pings.empty


async def test_the_surge_thresholds_are_the_operators(world: World, start_bot: StartBot) -> None:
    runner = await start_bot(surge_queued_requests=7, surge_thread_wait_seconds=0.5, surge_calm_seconds=12)
    detector = runner.bot.get_cog("Surge").detector  # type: ignore[union-attr]
    assert (detector.queued_threshold, detector.wait_threshold, detector.calm) == (7, 0.5, 12.0)
