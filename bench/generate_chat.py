"""Generate a realistic chat capture of any size as Twitter v1.1 JSON Lines.

Weekly one-hour sessions: a host welcomes people and asks T1, T1a, T2 ...;
participants answer with and without "A1" labels, reply to each other,
retweet good answers, and share links (some of them studies). Sessions
follow one another a week apart until the requested number of posts is
written. Deterministic for a given seed.

    python bench/generate_chat.py 100000 > chats.jsonl
"""
from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta

WORDS = ("care patient survivor nurse study evidence support online community trust privacy family "
         "clinic doctor research data caregiver health wellbeing peer listen learn share experience").split()
LINKS = [
    "https://doi.org/10.2196/{n}", "https://pubmed.ncbi.nlm.nih.gov/{n}/", "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC{n}/",
    "https://www.cancer.ca/en/support/{n}?utm_source=twitter", "https://example.org/blog/{n}", "https://arxiv.org/abs/2101.{n:05d}",
]
POSTS_PER_SESSION = 1000
QUESTIONS = ["T1", "T1a", "T2", "T2a", "T3", "T4", "T5"]


def twitter_time(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S +0000 %Y")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


class Generator:
    def __init__(self, seed: int = 7, participants: int = 2000):
        self.rng = random.Random(seed)
        self.participants = participants
        self.next_id = 1_500_000_000_000_000_000

    def user(self, number: int) -> dict:
        return {"id_str": str(10_000 + number), "screen_name": f"person{number}", "name": f"Person {number}",
                "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{number}/a_normal.png"}

    def status(self, moment: datetime, user: dict, text: str, **extra) -> dict:
        self.next_id += self.rng.randrange(1, 5000)
        status_id = str(self.next_id)
        return {"created_at": twitter_time(moment), "id": int(status_id), "id_str": status_id, "full_text": text,
                "truncated": False, "lang": "en", "user": user,
                "entities": {"hashtags": [{"text": "hcsmca"}], "urls": [], "user_mentions": []},
                "retweet_count": 0, "favorite_count": self.rng.randrange(0, 20), **extra}

    def session(self, start: datetime, posts: int):
        rng, host = self.rng, {"id_str": "1", "screen_name": "hcsmca", "name": "HCSM Canada"}
        recent: list[dict] = []
        question_times = {label: start + timedelta(minutes=5 + 7 * i) for i, label in enumerate(QUESTIONS)}
        asked = 0
        for n in range(posts):
            moment = start + timedelta(seconds=3600 * n / posts)
            while asked < len(QUESTIONS) and question_times[QUESTIONS[asked]] <= moment:
                label = QUESTIONS[asked]
                question = self.status(question_times[label], host, f"{label}: What about {sentence(rng, 8)}? #hcsmca")
                asked += 1
                recent.append(question)
                yield question
            user = self.user(rng.randrange(self.participants))
            roll = rng.random()
            if roll < 0.25 and recent:
                original = rng.choice(recent[-50:])
                yield self.status(moment, user, f"RT @{original['user']['screen_name']}: {original['full_text']}",
                                  retweeted_status=original)
                continue
            current = QUESTIONS[max(asked - 1, 0)]
            label = f"A{current[1:]} " if roll < 0.6 else ""
            extra = {}
            text = f"{label}{sentence(rng, rng.randrange(8, 30))} #hcsmca"
            if roll > 0.85 and recent:
                parent = rng.choice(recent[-30:])
                extra = {"in_reply_to_status_id_str": parent["id_str"],
                         "in_reply_to_screen_name": parent["user"]["screen_name"]}
                text = f"@{parent['user']['screen_name']} {text}"
            status = self.status(moment, user, text, **extra)
            if rng.random() < 0.1:
                url = rng.choice(LINKS).format(n=rng.randrange(1, 3000))
                short = f"https://t.co/{rng.randrange(10**9):x}"
                status["full_text"] += f" {short}"
                status["entities"]["urls"].append({"url": short, "expanded_url": url})
            recent.append(status)
            yield status

    def chats(self, total: int):
        start = datetime(2024, 1, 9, 18, 0, tzinfo=UTC)
        written = 0
        while written < total:
            for status in self.session(start, min(POSTS_PER_SESSION, total - written)):
                if written >= total:
                    return
                yield status
                written += 1
            start += timedelta(days=7)


def write(path_or_stream, total: int, seed: int = 7) -> int:
    out = open(path_or_stream, "w") if isinstance(path_or_stream, str) else path_or_stream
    count = 0
    for status in Generator(seed).chats(total):
        out.write(json.dumps(status, ensure_ascii=False) + "\n")
        count += 1
    if out is not path_or_stream:
        out.close()
    return count


if __name__ == "__main__":
    write(sys.stdout, int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
