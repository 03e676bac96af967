"""Herald's service API types, generated from its OpenAPI schema by
clients/python/generate_models.py: do not edit."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AnyUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
)


class Origin(RootModel[str]):
    root: Annotated[str, Field(max_length=300)]


class AllowedOrigins(BaseModel):
    origins: Annotated[
        list[Origin],
        Field(
            description="Origins whose pages may call the gateway's REST inbox, e.g. https://app.example.com",
            examples=[['https://app.example.com', 'http://localhost:3000']],
            max_length=50,
            title='Origins',
        ),
    ]


class AttemptPublic(BaseModel):
    channel: Annotated[str, Field(title='Channel')]
    attempt: Annotated[int, Field(title='Attempt')]
    outcome: Annotated[str, Field(title='Outcome')]
    error: Annotated[str | None, Field(title='Error')]
    at: Annotated[AwareDatetime, Field(title='At')]


class Channel(RootModel[Literal['in_app', 'web_push', 'email', 'slack']]):
    root: Annotated[
        Literal['in_app', 'web_push', 'email', 'slack'], Field(title='Channel')
    ]


class Content(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    title: Annotated[str, Field(max_length=500, min_length=1, title='Title')]
    body: Annotated[str | None, Field(max_length=10000, title='Body')] = ''


class DeadLetter(BaseModel):
    id: Annotated[str, Field(title='Id')]
    reason: Annotated[str, Field(title='Reason')]
    at: Annotated[AwareDatetime, Field(title='At')]
    payload: Annotated[Any, Field(title='Payload')]


class DeadLetterPage(BaseModel):
    items: Annotated[list[DeadLetter], Field(title='Items')]
    next_after: Annotated[str | None, Field(title='Next After')]


class EventAttemptPublic(BaseModel):
    at: Annotated[AwareDatetime, Field(title='At')]
    status: Annotated[int | None, Field(title='Status')]
    error: Annotated[str | None, Field(title='Error')]


class EventPublic(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    type: Annotated[str, Field(title='Type')]
    created_at: Annotated[AwareDatetime, Field(title='Created At')]
    data: Annotated[dict[str, Any], Field(title='Data')]
    delivered_at: Annotated[AwareDatetime | None, Field(title='Delivered At')]
    failed_at: Annotated[AwareDatetime | None, Field(title='Failed At')]
    next_at: Annotated[AwareDatetime | None, Field(title='Next At')]
    attempts: Annotated[list[EventAttemptPublic], Field(title='Attempts')]


class Topic(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description='a topic key: every subscriber at send time gets a notification of its own; or give recipients',
            max_length=200,
            min_length=1,
            pattern='^[A-Za-z0-9_.:-]+$',
            title='Topic',
        ),
    ]


class Recipient1(RootModel[str]):
    root: Annotated[
        str,
        Field(
            max_length=200,
            min_length=1,
            pattern='^[^\\x00-\\x20\\x7f](?:[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f])?$',
        ),
    ]


class Template(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description='a template key; or give content',
            max_length=200,
            min_length=1,
            pattern='^[A-Za-z0-9_.:-]+$',
            title='Template',
        ),
    ]


class Category(RootModel[str]):
    root: Annotated[str, Field(max_length=100, min_length=1, title='Category')]


class Locale(RootModel[str]):
    root: Annotated[str, Field(max_length=35, title='Locale')]


class IdempotencyKey(RootModel[str]):
    root: Annotated[str, Field(max_length=200, min_length=1, title='Idempotency Key')]


class Template1(RootModel[str]):
    root: Annotated[
        str,
        Field(
            description='a template to render instead',
            max_length=200,
            min_length=1,
            pattern='^[A-Za-z0-9_.:-]+$',
            title='Template',
        ),
    ]


class NotificationEdit(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    content: Annotated[
        Content | None, Field(description='new title and body, rendered with data')
    ] = None
    template: Annotated[
        Template1 | None,
        Field(description='a template to render instead', title='Template'),
    ] = None
    data: Annotated[
        dict[str, Any] | None, Field(description='new template variables', title='Data')
    ] = None


class NotificationsChanged(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    changed: Annotated[
        int,
        Field(description="how many readers' notifications changed", title='Changed'),
    ]


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    locale: Annotated[str | None, Field(max_length=35, title='Locale')] = 'en'
    timezone: Annotated[str | None, Field(title='Timezone')] = 'UTC'
    data: Annotated[dict[str, Any] | None, Field(title='Data')] = None


class PreviewResult(BaseModel):
    locale: Annotated[str, Field(title='Locale')]
    version: Annotated[int, Field(title='Version')]
    title: Annotated[str, Field(title='Title')]
    body: Annotated[str, Field(title='Body')]
    email_subject: Annotated[str | None, Field(title='Email Subject')]
    email_html: Annotated[str | None, Field(title='Email Html')]
    email_text: Annotated[str | None, Field(title='Email Text')]
    slack_text: Annotated[str | None, Field(title='Slack Text')]
    variables: Annotated[dict[str, Any] | None, Field(title='Variables')] = None


class Priority(RootModel[Literal['high', 'normal', 'low']]):
    root: Annotated[Literal['high', 'normal', 'low'], Field(title='Priority')]


class QuietHours(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    start: Annotated[time, Field(title='Start')]
    end: Annotated[time, Field(title='End')]


class Recipient(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    recipient: Annotated[str, Field(title='Recipient')]


class SchedulePublic(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    cron: Annotated[str, Field(title='Cron')]
    timezone: Annotated[str, Field(title='Timezone')]
    notification: Annotated[dict[str, Any], Field(title='Notification')]
    next_run_at: Annotated[AwareDatetime, Field(title='Next Run At')]
    runs: Annotated[int, Field(title='Runs')]
    created_at: Annotated[AwareDatetime, Field(title='Created At')]
    status: Annotated[Literal['active', 'failed'], Field(title='Status')]
    failure_reason: Annotated[str | None, Field(title='Failure Reason')] = None


class SendSummary(BaseModel):
    topic: Annotated[
        str | None, Field(description='a topic send: its topic', title='Topic')
    ] = None
    subscribers: Annotated[
        int | None,
        Field(
            description='a topic send: subscribers at send time', title='Subscribers'
        ),
    ] = None
    appended: Annotated[
        int | None,
        Field(description='a topic send: notifications made so far', title='Appended'),
    ] = None
    notifications: Annotated[
        dict[str, int],
        Field(
            description='how many of its notifications stand at each status (stored ones)',
            title='Notifications',
        ),
    ]


class Status(
    RootModel[
        Literal[
            'scheduled',
            'accepted',
            'persisted',
            'delivered',
            'read',
            'fallback_sent',
            'failed',
            'fanning_out',
            'fanned_out',
        ]
    ]
):
    root: Annotated[
        Literal[
            'scheduled',
            'accepted',
            'persisted',
            'delivered',
            'read',
            'fallback_sent',
            'failed',
            'fanning_out',
            'fanned_out',
        ],
        Field(title='Status'),
    ]


class SubscriberPage(BaseModel):
    items: Annotated[list[str], Field(title='Items')]
    next_cursor: Annotated[
        str | None,
        Field(description='pass as cursor for the next page', title='Next Cursor'),
    ] = None


class AddItem(RootModel[str]):
    root: Annotated[
        str,
        Field(
            max_length=200,
            min_length=1,
            pattern='^[^\\x00-\\x20\\x7f](?:[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f])?$',
        ),
    ]


class RemoveItem(RootModel[str]):
    root: Annotated[
        str,
        Field(
            max_length=200,
            min_length=1,
            pattern='^[^\\x00-\\x20\\x7f](?:[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f])?$',
        ),
    ]


class SubscribersChange(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    add: Annotated[
        list[AddItem] | None, Field(max_length=1000, title='Add', validate_default=True)
    ] = []
    remove: Annotated[
        list[RemoveItem] | None,
        Field(max_length=1000, title='Remove', validate_default=True),
    ] = []


class SubscribersChanged(BaseModel):
    added: Annotated[int, Field(title='Added')]
    removed: Annotated[int, Field(title='Removed')]
    subscribers: Annotated[int, Field(title='Subscribers')]


class TemplatePublic(BaseModel):
    locale: Annotated[str, Field(title='Locale')]
    version: Annotated[int, Field(title='Version')]
    title: Annotated[str, Field(title='Title')]
    body: Annotated[str, Field(title='Body')]
    email_subject: Annotated[str | None, Field(title='Email Subject')]
    email_html: Annotated[str | None, Field(title='Email Html')]
    email_text: Annotated[str | None, Field(title='Email Text')]
    slack_text: Annotated[str | None, Field(title='Slack Text')]
    variables: Annotated[dict[str, Any] | None, Field(title='Variables')] = None
    key: Annotated[str, Field(title='Key')]
    created_at: Annotated[AwareDatetime, Field(title='Created At')]


class EmailSubject(RootModel[str]):
    root: Annotated[str, Field(max_length=500, title='Email Subject')]


class EmailHtml(RootModel[str]):
    root: Annotated[str, Field(max_length=200000, title='Email Html')]


class EmailText(RootModel[str]):
    root: Annotated[str, Field(max_length=100000, title='Email Text')]


class SlackText(RootModel[str]):
    root: Annotated[str, Field(max_length=10000, title='Slack Text')]


class RequiredCategory(RootModel[str]):
    root: Annotated[str, Field(max_length=100)]


class TenantPreferences(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    categories: Annotated[
        dict[
            Annotated[str, StringConstraints(max_length=100)],
            dict[Literal['in_app', 'web_push', 'email', 'slack'], bool],
        ]
        | None,
        Field(
            description='per category ("*" for all), per channel on/off; at most 200 categories',
            max_length=200,
            title='Categories',
        ),
    ] = None
    quiet_hours: QuietHours | None = None
    digest: Annotated[
        Literal['off', 'hourly', 'daily'] | None, Field(title='Digest')
    ] = 'off'
    required_categories: Annotated[
        list[RequiredCategory] | None,
        Field(
            description="categories that ignore readers' opt-outs",
            max_length=200,
            title='Required Categories',
        ),
    ] = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    user_id: Annotated[
        str,
        Field(
            max_length=200,
            min_length=1,
            pattern='^[^\\x00-\\x20\\x7f](?:[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f])?$',
            title='User Id',
        ),
    ]
    ttl_seconds: Annotated[int | None, Field(ge=1, title='Ttl Seconds')] = 3600


class TokenPublic(BaseModel):
    token: Annotated[str, Field(title='Token')]
    expires_at: Annotated[AwareDatetime, Field(title='Expires At')]


class TopicPublic(BaseModel):
    key: Annotated[str, Field(title='Key')]
    name: Annotated[str | None, Field(title='Name')]
    subscribers: Annotated[int, Field(title='Subscribers')]


class Name(RootModel[str]):
    root: Annotated[str, Field(max_length=200, title='Name')]


class TopicUpsert(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    name: Annotated[Name | None, Field(title='Name')] = None


class UserErased(BaseModel):
    user_id: Annotated[str, Field(title='User Id')]
    erased: Annotated[
        dict[str, int],
        Field(
            description='what was removed: notifications, subscriptions, scheduled, events, stream_entries, dead_letters',
            title='Erased',
        ),
    ]


class UserPublic(BaseModel):
    user_id: Annotated[str, Field(title='User Id')]
    name: Annotated[str | None, Field(title='Name')]
    locale: Annotated[str | None, Field(title='Locale')]
    timezone: Annotated[str | None, Field(title='Timezone')]
    email: Annotated[str | None, Field(title='Email')]
    slack_webhook_url: Annotated[str | None, Field(title='Slack Webhook Url')]


class Email(RootModel[str]):
    root: Annotated[str, Field(max_length=320, title='Email')]


class SlackWebhookUrl(RootModel[AnyUrl]):
    root: Annotated[AnyUrl, Field(title='Slack Webhook Url')]


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    name: Annotated[Name | None, Field(title='Name')] = None
    locale: Annotated[Locale | None, Field(title='Locale')] = None
    timezone: Annotated[str | None, Field(title='Timezone')] = None
    email: Annotated[Email | None, Field(title='Email')] = None
    slack_webhook_url: Annotated[
        SlackWebhookUrl | None, Field(title='Slack Webhook Url')
    ] = None


class ValidationError(BaseModel):
    loc: Annotated[list[str | int], Field(title='Location')]
    msg: Annotated[str, Field(title='Message')]
    type: Annotated[str, Field(title='Error Type')]
    input: Annotated[Any | None, Field(title='Input')] = None
    ctx: Annotated[dict[str, Any] | None, Field(title='Context')] = None


class Variable(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    default: Annotated[
        Any | None,
        Field(
            description='used when the value is missing; absent: required',
            title='Default',
        ),
    ] = None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    url: Annotated[
        str,
        Field(
            description='https, public; http and private hosts only for those in HERALD_OUTBOUND_ALLOW',
            max_length=2000,
            min_length=8,
            title='Url',
        ),
    ]
    events: Annotated[
        list[
            Literal[
                'notification.delivered',
                'notification.read',
                'notification.failed',
                'notification.fallback_sent',
            ]
        ],
        Field(max_length=10, min_length=1, title='Events'),
    ]


class WebhookCreated(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    url: Annotated[str, Field(title='Url')]
    events: Annotated[list[str], Field(title='Events')]
    created_at: Annotated[AwareDatetime, Field(title='Created At')]
    secret: Annotated[
        str,
        Field(
            description='the HMAC-SHA256 key of Herald-Signature; shown only now',
            title='Secret',
        ),
    ]


class WebhookPublic(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    url: Annotated[str, Field(title='Url')]
    events: Annotated[list[str], Field(title='Events')]
    created_at: Annotated[AwareDatetime, Field(title='Created At')]


class EventPage(BaseModel):
    items: Annotated[list[EventPublic], Field(title='Items')]
    next_cursor: Annotated[
        str | None,
        Field(description='pass as cursor for older events', title='Next Cursor'),
    ] = None


class HTTPValidationError(BaseModel):
    detail: Annotated[list[ValidationError] | None, Field(title='Detail')] = None


class NotificationAccepted(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    status: Annotated[Literal['accepted', 'scheduled'], Field(title='Status')]
    notifications: Annotated[
        list[Recipient] | None,
        Field(
            description='one per recipient; absent for a topic send',
            title='Notifications',
        ),
    ] = None
    topic: Annotated[
        str | None, Field(description='a topic send: its key', title='Topic')
    ] = None
    recipients: Annotated[
        int | None,
        Field(description='a topic send: its subscribers then', title='Recipients'),
    ] = None


class NotificationBatchAccepted(BaseModel):
    items: Annotated[list[NotificationAccepted], Field(title='Items')]


class NotificationCreate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    topic: Annotated[
        Topic | None,
        Field(
            description='a topic key: every subscriber at send time gets a notification of its own; or give recipients',
            title='Topic',
        ),
    ] = None
    recipients: Annotated[
        list[Recipient1] | None,
        Field(
            description="the product's own user ids, 1 to 1000; or give a topic",
            max_length=1000,
            title='Recipients',
            validate_default=True,
        ),
    ] = []
    content: Annotated[
        Content | None, Field(description='literal text; or give a template')
    ] = None
    template: Annotated[
        Template | None,
        Field(description='a template key; or give content', title='Template'),
    ] = None
    data: Annotated[dict[str, Any] | None, Field(title='Data')] = None
    category: Annotated[Category | None, Field(title='Category')] = None
    priority: Annotated[Priority | None, Field(validate_default=True)] = 'normal'
    channels: Annotated[
        list[Channel] | None,
        Field(
            description='the chain: in_app first, then its fallbacks in order; by default in_app and email, with web_push between them for a reader who subscribed to push',
            min_length=1,
            title='Channels',
            validate_default=True,
        ),
    ] = ['in_app', 'email']
    locale: Annotated[Locale | None, Field(title='Locale')] = None
    idempotency_key: Annotated[
        IdempotencyKey | None, Field(title='Idempotency Key')
    ] = None
    send_at: Annotated[
        AwareDatetime | None,
        Field(
            description='future ISO 8601 time with offset: the notification is scheduled',
            title='Send At',
        ),
    ] = None


class NotificationPublic(BaseModel):
    id: Annotated[UUID, Field(title='Id')]
    status: Status
    status_reason: Annotated[str | None, Field(title='Status Reason')] = None
    recipient: Annotated[str | None, Field(title='Recipient')] = None
    seq: Annotated[int | None, Field(title='Seq')] = None
    category: Annotated[str | None, Field(title='Category')] = None
    priority: Priority | None = None
    title: Annotated[
        str | None,
        Field(
            description='as rendered for the reader; while scheduled, the content as given (a template send: see template)',
            title='Title',
        ),
    ] = None
    body: Annotated[str | None, Field(title='Body')] = None
    template: Annotated[
        str | None,
        Field(
            description='while scheduled: the template it will render', title='Template'
        ),
    ] = None
    data: Annotated[
        dict[str, Any] | None,
        Field(description='while scheduled: its variables', title='Data'),
    ] = None
    send_at: Annotated[
        AwareDatetime | None,
        Field(description='while scheduled: when it is sent', title='Send At'),
    ] = None
    created_at: Annotated[AwareDatetime | None, Field(title='Created At')] = None
    delivered_at: Annotated[AwareDatetime | None, Field(title='Delivered At')] = None
    read_at: Annotated[AwareDatetime | None, Field(title='Read At')] = None
    edited_at: Annotated[AwareDatetime | None, Field(title='Edited At')] = None
    deleted_at: Annotated[
        AwareDatetime | None, Field(description='retracted at', title='Deleted At')
    ] = None
    attempts: Annotated[
        list[AttemptPublic] | None, Field(title='Attempts', validate_default=True)
    ] = []
    send: Annotated[
        SendSummary | None, Field(description='the id of a whole send: its progress')
    ] = None


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    categories: Annotated[
        dict[
            Annotated[str, StringConstraints(max_length=100)],
            dict[Literal['in_app', 'web_push', 'email', 'slack'], bool],
        ]
        | None,
        Field(
            description='per category ("*" for all), per channel on/off; at most 200 categories',
            max_length=200,
            title='Categories',
        ),
    ] = None
    quiet_hours: QuietHours | None = None
    digest: Annotated[
        Literal['off', 'hourly', 'daily'] | None, Field(title='Digest')
    ] = 'off'


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    cron: Annotated[
        str,
        Field(
            description='five fields (minute hour day month weekday), or six with seconds last; at most one run a minute by default',
            max_length=200,
            min_length=1,
            title='Cron',
        ),
    ]
    timezone: Annotated[str | None, Field(title='Timezone')] = 'UTC'
    notification: NotificationCreate


class TemplateUpsert(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    title: Annotated[str, Field(max_length=500, min_length=1, title='Title')]
    body: Annotated[str | None, Field(max_length=10000, title='Body')] = ''
    email_subject: Annotated[EmailSubject | None, Field(title='Email Subject')] = None
    email_html: Annotated[EmailHtml | None, Field(title='Email Html')] = None
    email_text: Annotated[EmailText | None, Field(title='Email Text')] = None
    slack_text: Annotated[SlackText | None, Field(title='Slack Text')] = None
    variables: Annotated[
        dict[
            Annotated[
                str,
                StringConstraints(
                    pattern=r'^(reader\.)?[A-Za-z_][A-Za-z0-9_]*$', max_length=100
                ),
            ],
            Variable,
        ]
        | None,
        Field(
            description='the variables the template needs, e.g. {"order_id": {}, "reader.name": {"default": "there"}}; a send missing a required one is refused. When given, every variable the texts use must be declared',
            title='Variables',
        ),
    ] = None


class NotificationBatch(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    items: Annotated[
        list[NotificationCreate], Field(max_length=100, min_length=1, title='Items')
    ]
