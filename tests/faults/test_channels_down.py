"""The SMTP server and the Slack webhook down for a while (connections refused), then back:
each fallback message is sent exactly once, none twice."""

from __future__ import annotations

import uuid

import httpx

from tests.support.harness import wait_until
from tests.support.peers import SlackWebhook, SmtpServer
from tests.support.system import HeraldUp

COUNT = 5


def test_smtp_and_slack_down_then_back_send_each_message_once(
    herald: HeraldUp, smtp: SmtpServer, slack: SlackWebhook
):
    creds = herald.creds()
    api = httpx.Client(base_url=herald.api_url, headers={"X-API-Key": creds["secret_key"]},
                       timeout=30)
    user = f"away-{uuid.uuid4().hex[:6]}"
    address = f"{user}@example.test"
    assert api.put(f"/v1/users/{user}", json={
        "email": address, "slack_webhook_url": slack.url}).status_code == 200
    smtp.down()
    slack.close()
    try:
        ids = [api.post("/v1/notifications", json={
            "recipients": [user], "content": {"title": f"while away {i}"},
            "channels": ["in_app", "slack", "email"]}).json()["id"] for i in range(COUNT)]

        def slack_errors() -> int:
            return sum(a["channel"] == "slack" and a["outcome"] == "error"
                       for nid in ids for a in api.get(f"/v1/notifications/{nid}").json()[
                           "attempts"])

        wait_until(lambda: slack_errors() >= 2 * COUNT, 60, "Slack sends failing")
    finally:
        slack.up()
        smtp.up()
    wait_until(lambda: all(api.get(f"/v1/notifications/{nid}").json()["status"]
                           == "fallback_sent" for nid in ids) and
               len(smtp.received(address)) >= COUNT, 120, "every fallback sent")
    posted = [r["body"]["text"] for r in slack.delivered()
              if any(f"while away {i}" in r["body"]["text"] for i in range(COUNT))]
    assert sorted(posted) == sorted(f"*while away {i}*" for i in range(COUNT))
    message_ids = [m["Message-ID"] for m in smtp.received(address)]
    assert sorted(message_ids) == sorted(f"<{nid}@herald>" for nid in ids)
