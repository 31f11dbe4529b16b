"""Recorded Slack payloads (see payloads/SOURCES.md), adapted per test and signed as Slack signs them."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_fake import TEAM

HERE = Path(__file__).parent / "payloads"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the example signing secret of Slack's docs


def load(name: str) -> Any:
    """Return a recorded payload."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def slash(text: str, user: str, channel: str, response_url: str, team: str = TEAM) -> str:
    """Return a form-encoded `/mlquestion` body from the recorded slash command."""
    body = load("slash_command_bolt_python.json")
    body.update(
        command="/mlquestion",
        text=text,
        user_id=user,
        user_name=user.lower(),
        channel_id=channel,
        team_id=team,
        response_url=response_url,
    )
    body.pop("enterprise_id", None)
    body.pop("enterprise_name", None)
    return urlencode(body)


def click_payload(
    custom_id: str,
    user: str,
    channel: str,
    message_ts: str,
    response_url: str,
    thread_ts: str | None = None,
    team: str = TEAM,
) -> dict[str, Any]:
    """Return a `block_actions` payload pressing a button of a bot message."""
    body = load("block_actions_button_message_bolt_python_recorded.json")
    body["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}
    body["team"] = {"id": team}
    body["channel"] = {"id": channel}
    body["container"].update(message_ts=message_ts, channel_id=channel)
    body["message"].update(ts=message_ts, team=team)
    if thread_ts:
        body["message"]["thread_ts"] = thread_ts
    body["response_url"] = response_url
    body["actions"][0].update(action_id=custom_id, value=custom_id, block_id="mlq")
    return body


def interactive(payload: dict[str, Any]) -> str:
    """Return an interactivity body: `payload=<url-encoded JSON>`."""
    return urlencode({"payload": json.dumps(payload)})


def submission_payload(view: dict[str, Any], values: dict[str, str], user: str, team: str = TEAM) -> dict[str, Any]:
    """Return a `view_submission` of the modal the bot opened, filled in with `values`."""
    body = load("view_submission_bolt_python.json")
    body["user"] = {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}
    body["team"] = {"id": team}
    body["view"].update(
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        blocks=view["blocks"],
        team_id=team,
        state={"values": {k: {k: {"type": "plain_text_input", "value": v}} for k, v in values.items()}},
    )
    return body


def thread_reply(user: str, channel: str, thread_ts: str, ts: str, text: str, event_id: str, team: str = TEAM) -> str:
    """Return a member's threaded `message` event (the recorded reply, without its bot fields)."""
    body = load("event_message_thread_reply_recorded.json")
    event = body["event"]
    for bot_field in ("bot_id", "bot_profile", "app_id"):
        event.pop(bot_field)
    event.update(user=user, text=text, ts=ts, event_ts=ts, thread_ts=thread_ts, channel=channel, team=team)
    event["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    body.update(team_id=team, event_id=event_id)
    body["authorizations"][0]["team_id"] = team
    return json.dumps(body)


def bot_reply(bot_id: str, channel: str, thread_ts: str, ts: str, text: str, event_id: str, team: str = TEAM) -> str:
    """Return the recorded threaded message as it comes when a bot wrote it."""
    body = load("event_message_thread_reply_recorded.json")
    body["event"].update(bot_id=bot_id, text=text, ts=ts, thread_ts=thread_ts, channel=channel, team=team)
    body.update(team_id=team, event_id=event_id)
    return json.dumps(body)


def reaction(user: str, channel: str, ts: str, name: str, event_id: str, team: str = TEAM) -> str:
    """Return a `reaction_added` event on a message."""
    body = load("event_reaction_added_docs.json")
    body["event"].update(user=user, reaction=name)
    body["event"]["item"].update(channel=channel, ts=ts)
    body.update(team_id=team, event_id=event_id)
    body["authorizations"][0]["team_id"] = team
    return json.dumps(body)


def socket_envelope(kind: str, payload: dict[str, Any], envelope_id: str) -> dict[str, Any]:
    """Return the recorded Socket Mode envelope of `kind` carrying `payload`."""
    for envelope in load("socket_mode_envelopes_bolt_python.json"):
        if envelope["type"] == kind:
            envelope = copy.deepcopy(envelope)
            envelope.update(envelope_id=envelope_id, payload=payload)
            return dict(envelope)
    raise KeyError(kind)


def signed(body: str, content_type: str, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """Return the headers Slack sends with a body: its timestamp and v0 signature."""
    timestamp = str(int(at if at is not None else time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
