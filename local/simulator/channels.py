"""What each channel reports, in the platform's own words.

Drawn from the vendor's delivery-notification samples (``events/callbacks``) and its channel
table: SMS reports Submitted, Delivered, Undelivered and Failed; voice Answered and
Rejected; RTM and push Submit, Delivered, Read and Failed; Facebook Submitted, Delivered
(and Read) and Failed; Twitter and WeChat Delivered and Failed; email Submitted, Delivered,
Not verified, Invalid, Bounced and Complaint (and Failed for an unsubscribed address).
Failure codes are the ones the platform uses on that channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Report:
    """One lifecycle step as a callback reports it."""

    spellings: tuple[str, ...]  # deliveryStatus; the first is the usual one, others drift
    code: str
    descriptions: tuple[str, ...]  # one is picked per callback
    status_api: str  # the status the transaction status API shows after this step
    extra: Mapping[str, Any] = field(
        default_factory=dict
    )  # further deliveryInfo fields (additional_info ...)
    destination_type: str | None = None  # when it differs from the channel's usual one
    has_subtid: bool = False

    @property
    def is_failure(self) -> bool:
        return self.status_api not in ("sent", "delivered", "read", "answered")


@dataclass(frozen=True)
class Failure:
    report: Report
    # Reported after a Delivered (an email complaint), instead of in its place.
    after_delivery: bool = False
    # Reported without a Submitted first (an address refused up front).
    without_submitted: bool = False


@dataclass(frozen=True)
class ContentRule:
    """Where a send request carries the channel's content, with the vendor's 7003 texts."""

    path: tuple[str, ...]
    missing_message: str
    text_fields: tuple[str, ...] = ()
    missing_text_message: str = ""


@dataclass(frozen=True)
class ChannelProfile:
    name: str  # canonical request spelling of ``deliverychannel``
    aliases: tuple[str, ...]
    callback_channel: str  # ``deliveryChannel`` in callbacks
    destination_keys: tuple[str, ...]  # keys of a send request's destination objects
    destination_type: str
    content: ContentRule
    delivered: Report
    failures: tuple[Failure, ...]
    submitted: Report | None = None
    read: Report | None = None
    # Empty pushId/deviceid fields, as the SMS and RTM failure samples carry them.
    empty_device_fields_on_failure: bool = False
    status_api_channel: str = ""
    status_api_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def can_read(self) -> bool:
        return self.read is not None


SUBMITTED = Report(("Submitted", "Submited", "Submit"), "7501", ("Submitted", "Submited"), "sent")
SUBMITED = Report(("Submited", "Submitted", "Submit"), "7501", ("Submited",), "sent")
SUBMIT = Report(("Submit", "Submitted", "Submited"), "7501", ("Submited", "Submitted"), "sent")
DELIVERED = Report(("Delivered",), "7500", ("Delivered",), "delivered")
READ = Report(("Read",), "7502", ("Read",), "read")


def _failed(code: str, description: str, **extra: Any) -> Failure:
    return Failure(Report(("Failed",), code, (description,), "failed", MappingProxyType(extra)))


SMS = ChannelProfile(
    name="sms",
    aliases=("sms",),
    callback_channel="SMS",
    destination_keys=("msisdn",),
    destination_type="msisdn",
    content=ContentRule(
        ("sms",),
        "param 'sms' missing for channel sms",
        ("text", "body"),
        "param 'text' missing for channel sms",
    ),
    submitted=SUBMITTED,
    delivered=DELIVERED,
    failures=(
        Failure(Report(("Un-Delivered", "Undelivered"), "7208", ("Message expired",), "expired")),
        _failed("7200", "Unknown Status"),
        Failure(
            Report(("Failed", "Un-Delivered"), "7203", ("Unknown Subscriber address",), "failed")
        ),
        Failure(Report(("Un-Delivered", "Failed"), "7101", ("Invalid Sender ID",), "failed")),
        _failed("7206", "Can't deliver. Subscriber SIM Full"),
        Failure(
            Report(
                ("Un-Delivered", "Undelivered"),
                "7207",
                ("Subscriber out of coverage area or not reachable",),
                "failed",
            )
        ),
    ),
    empty_device_fields_on_failure=True,
    status_api_channel="SMS",
    status_api_fields={"from": "VM-CONNECT"},
)

VOICE = ChannelProfile(
    name="voice",
    aliases=("voice", "ivr"),
    callback_channel="voice",
    destination_keys=("msisdn",),
    destination_type="msisdn",
    content=ContentRule(
        ("voice",),
        "param 'voice' missing for channel voice",
        ("callflowid", "media"),
        "either param 'callflowid' or param 'media' is required",
    ),
    delivered=Report(("ANSWERED", "Answered"), "7519", ("Answered",), "answered"),
    failures=(
        Failure(Report(("Rejected", "REJECTED"), "7403", ("Call rejected",), "rejected")),
        Failure(Report(("Rejected", "REJECTED"), "7401", ("No answer",), "no answer")),
        Failure(Report(("Rejected", "REJECTED"), "7402", ("Customer busy",), "busy")),
    ),
    status_api_channel="voice",
    status_api_fields={"from": "VM-CONNECT", "callflowid": "917"},
)

RTM = ChannelProfile(
    name="rt",
    aliases=("rt", "rtm", "appmessaging"),
    callback_channel="rt",
    destination_keys=("customerid", "userid"),
    destination_type="customerid",
    content=ContentRule(
        ("rt",),
        "param 'rt' missing for channel rt",
        ("text",),
        "param 'text' missing for channel rt",
    ),
    submitted=SUBMITED,
    delivered=DELIVERED,
    read=READ,
    failures=(
        _failed("7304", "Invalid app credentials(Invalid OAuth)"),
        _failed("7110", "User is not active"),
        _failed("7117", "RTM is not enabled for this app"),
    ),
    empty_device_fields_on_failure=True,
    status_api_channel="RTM",
    status_api_fields={"from": "<senderid>", "appid": "a_123455667", "message": "message"},
)

PUSH = ChannelProfile(
    name="push",
    aliases=("push",),
    callback_channel="push",
    destination_keys=("customerid", "userid", "pushid"),
    destination_type="customerid",
    content=ContentRule(("push",), "param 'push' missing for push channel"),
    submitted=SUBMITTED,
    delivered=DELIVERED,
    read=READ,
    failures=(
        _failed("7513", "Unregistered Device"),
        _failed("7518", "Unknown"),
        _failed("7212", "Invalid registration"),
    ),
    status_api_channel="push",
    status_api_fields={"from": "VM-CONNECT", "appid": "a_123455667"},
)

_FACEBOOK_TOKEN_ERROR = MappingProxyType(
    {
        "additional_info": {
            "error": {
                "message": "Error validating access token: The session has been invalidated "
                "because the user changed their password or Facebook has changed the session "
                "for security reasons.",
                "error_subcode": 460,
                "fbtrace_id": "HV9WpzzqdS8",
                "code": 190,
                "type": "OAuthException",
            }
        },
        "additionalInfo": "",
    }
)

FACEBOOK = ChannelProfile(
    name="fb",
    aliases=("fb", "facebook", "messenger"),
    callback_channel="fb",
    destination_keys=("psid", "fbid"),
    destination_type="psid",
    content=ContentRule(
        ("OTT-Messaging", "fb"),
        "param 'fb' missing for channel fb",
        ("text",),
        "param 'text' missing for channel fb",
    ),
    submitted=SUBMITED,
    delivered=DELIVERED,
    read=READ,
    failures=(
        Failure(
            Report(
                ("Failed",),
                "7010",
                ("End point not reachable(FB is not reachable)",),
                "failed",
                _FACEBOOK_TOKEN_ERROR,
            )
        ),
        _failed("7307", "End point not reachable(FB is not reachable)"),
    ),
    status_api_channel="fb",
    status_api_fields={"from": "VM-CONNECT", "appid": "a_1234556677", "body": "Hello"},
)

TWITTER = ChannelProfile(
    name="twitter",
    aliases=("twitter",),
    callback_channel="twitter",
    destination_keys=("twitterid",),
    destination_type="twitterid",
    content=ContentRule(
        ("OTT-Messaging", "twitter"),
        "param 'twitter' missing for channel twitter",
        ("text",),
        "param 'text' missing for channel twitter",
    ),
    delivered=DELIVERED,
    failures=(
        _failed("7010", "Service provider exception."),
        _failed("7306", "Duplicate message for twitter"),
    ),
    status_api_channel="twitter",
    status_api_fields={"from": "VM-CONNECT", "appid": "a_1234556677", "body": "Hello"},
)

WECHAT = ChannelProfile(
    name="wechat",
    aliases=("wechat",),
    callback_channel="wechat",
    destination_keys=("wechatid",),
    destination_type="wechat_user_id",
    content=ContentRule(
        ("OTT-Messaging", "wechat"),
        "param 'wechat' missing for channel wechat",
        ("text",),
        "param 'text' missing for channel wechat",
    ),
    delivered=DELIVERED,
    failures=(
        _failed("7010", "Service provider exception."),
        _failed("7305", "Invalid user credentials"),
    ),
    status_api_channel="wechat",
    status_api_fields={"from": "VM-CONNECT", "appid": "a_1234556677", "body": "Hello"},
)

_SES_BOUNCE_TYPES = (
    "Permanent_General",
    "Permanent_NoEmail",
    "Permanent_Suppressed",
    "Transient_General",
    "Transient_MailboxFull",
    "Transient_MessageTooLarge",
    "Transient_ContentRejected",
    "Transient_AttachmentRejected",
)
_SES_COMPLAINT_TYPES = ("abuse", "auth-failure", "fraud", "not-spam", "other", "virus")

EMAIL = ChannelProfile(
    name="email",
    aliases=("email",),
    callback_channel="email",
    destination_keys=("email",),
    destination_type="emailid",
    content=ContentRule(("email",), "param 'email' missing for channel email"),
    submitted=Report(("Submitted", "Submited"), "7501", ("Submitted",), "sent"),
    delivered=DELIVERED,
    failures=(
        Failure(
            Report(
                ("Not Verified",),
                "7522",
                ("Account in sandbox mode. Destination email address is not verified",),
                "failed",
            ),
            without_submitted=True,
        ),
        Failure(
            Report(("Invalid email address",), "7523", ("Email address is invalid",), "failed"),
            without_submitted=True,
        ),
        Failure(Report(("Bounce",), "7520", _SES_BOUNCE_TYPES, "failed")),
        Failure(
            Report(("Complaint",), "7521", _SES_COMPLAINT_TYPES, "failed"), after_delivery=True
        ),
        Failure(
            Report(
                ("Failed",),
                "7241",
                ("unsubscribed : {destination}",),
                "failed",
                MappingProxyType({"additionalInfo": ""}),
                destination_type="email",
                has_subtid=True,
            ),
            without_submitted=True,
        ),
    ),
    status_api_channel="email",
    status_api_fields={"from": "noreply@example.com"},
)

PROFILES: tuple[ChannelProfile, ...] = (SMS, VOICE, RTM, PUSH, FACEBOOK, TWITTER, WECHAT, EMAIL)


def profile_for(delivery_channel: str) -> ChannelProfile | None:
    wanted = delivery_channel.strip().lower()
    for profile in PROFILES:
        if wanted in profile.aliases:
            return profile
    return None


@dataclass(frozen=True)
class DeviceType:
    """A push device: its destinationType and what its token looks like."""

    destination_type: str
    token_kind: str  # "fcm", "apns" or "mozilla"
    # Web push samples write times as "2016-07-22 15:26:34".
    web: bool = False


PUSH_DEVICES = (
    DeviceType("android_pushid", "fcm"),
    DeviceType("ios_pushid", "apns"),
    DeviceType("chrome_pushid", "fcm", web=True),
    DeviceType("firefox_pushid", "mozilla", web=True),
)
