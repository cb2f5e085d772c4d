"""bot/core/surge.py: when the bot switches to surge mode, and the public post it keeps."""

from __future__ import annotations

from bot.core.surge import DIGEST_FOOTER, MESSAGE_LIMIT, PublicDigest, SurgeDetector, first_sentences


def test_a_surge_starts_when_requests_queue_and_ends_only_after_a_calm_minute() -> None:
    d = SurgeDetector(queued_threshold=25, wait_threshold=3.0, calm=60.0)
    assert not d.observe(0.0, queued=10, thread_wait=1.0)
    assert d.observe(1.0, queued=30, thread_wait=0.0)  # the global window is queueing
    assert d.observe(30.0, queued=0, thread_wait=0.0)  # a quiet moment is not the end of it
    assert d.observe(50.0, queued=0, thread_wait=5.0)  # threads are queueing: still in it
    assert d.observe(109.0, queued=0, thread_wait=0.0)
    assert not d.observe(110.0, queued=0, thread_wait=0.0)  # a minute of calm
    assert d.started == 1
    assert d.observe(200.0, queued=0, thread_wait=3.0)
    assert d.started == 2  # a second surge: staff are told again


def test_identical_questions_make_one_entry_and_the_most_asked_come_first() -> None:
    post = PublicDigest()
    assert post.add("reset", "Should I reset my phone?", "No. Do not reset your phone.")
    assert not post.add("reset", "Should I reset my phone?", "No. Do not reset your phone.")  # same content
    assert post.add("eta", "When will it be fixed?", "We expect the restore to finish tonight.")
    for _ in range(3):
        post.add("eta", "When will it be fixed?", "We expect the restore to finish tonight.")
    text = post.render()
    assert text.count("Should I reset my phone?") == 1
    assert text.index("When will it be fixed?") < text.index("Should I reset my phone?")
    assert "/ask" in text
    assert text.endswith(DIGEST_FOOTER)


def test_the_post_stays_one_message_and_says_which_questions_it_covers() -> None:
    post = PublicDigest()
    for i in range(30):
        for _ in range(30 - i):  # question 0 asked most
            post.add(f"q{i}", f"Question number {i}?", "An answer that takes some room. " * 12)
    assert len(post.render()) <= MESSAGE_LIMIT
    assert post.covers("q0")
    assert not post.covers("q29")  # did not fit: that customer is answered one to one
    assert all(f"Question number {i}?" in post.render() for i in range(30) if post.covers(f"q{i}"))


def test_each_entry_keeps_whole_first_sentences() -> None:
    text = "No. Please do not reset your phone. " + "A reset erases the data on the phone. " * 10
    short = first_sentences(text, 60)
    assert short == "No. Please do not reset your phone."
    assert first_sentences("One very long sentence " * 10, 40).endswith("...")
    assert len(first_sentences("One very long sentence " * 10, 40)) <= 40
