"""Every return code the platform documents, with what it means for a message.

Messages and descriptions of the status-API codes are the vendor's text, verbatim (typos
included), so they can be matched against what the platform sends. Codes that only appear in
callbacks, and channel-specific meanings, come from the callback samples and the vendor's
"Channel Specific Status Codes" page; their wording is ours where the vendor gives none.

``http_status`` is what the status lookup proxy answers when the vendor returns the code as
an error; it is None for codes that report a delivery outcome rather than a failed lookup.
"""

from __future__ import annotations

from receipts.channels import Channel
from receipts.codes.classification import Classification
from receipts.codes.lookup import CodeInfo
from receipts.codes.suppression import SuppressionReason
from receipts.lifecycle import DeliveryStatus

_REQUEST_ERROR = Classification.REQUEST_ERROR
_PERMANENT = Classification.FAILED_PERMANENT
_TRANSIENT = Classification.FAILED_TRANSIENT
_UNKNOWN = Classification.UNKNOWN
_INVALID_ADDRESS = SuppressionReason.INVALID_ADDRESS
_BOUNCE = SuppressionReason.PERMANENT_BOUNCE
_UNSUBSCRIBED = SuppressionReason.UNSUBSCRIBED
_UNREGISTERED = SuppressionReason.UNREGISTERED_DEVICE

# SMS callbacks report 7101 and 7203 with either of these statuses.
_SMS_FAILURE = frozenset({DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED})


def _api(
    code: int,
    message: str,
    description: str,
    classification: Classification,
    http_status: int | None = None,
    variants: tuple[str, ...] = (),
    suppression: SuppressionReason | None = None,
) -> CodeInfo:
    return CodeInfo(
        code=code,
        message=message,
        description=description,
        classification=classification,
        http_status=http_status,
        variants=variants,
        source="status_api",
        suppression=suppression,
    )


def _callback(
    code: int,
    message: str,
    description: str,
    classification: Classification,
    channels: frozenset[Channel] | None = None,
    statuses: frozenset[DeliveryStatus] | None = None,
    source: str = "callback",
    suppression: SuppressionReason | None = None,
) -> CodeInfo:
    # Callback codes are never the answer to a lookup, so they carry no HTTP status.
    return CodeInfo(
        code=code,
        message=message,
        description=description,
        classification=classification,
        channels=channels,
        statuses=statuses,
        source=source,
        suppression=suppression,
    )


# 7003 and 7004 each cover many documented messages; the first is the entry's message and the
# rest are variants. "param 'twitter' missing for channel twitter" is documented twice with
# two descriptions and is kept once.
_7003_VARIANTS = (
    "Mandatory parameters missing.",
    "param 'text' is missing for android",
    "param 'text' is missing for ios",
    "param 'push' missing for push channel",
    "either android or ios information is mandatory for push channel",
    "param 'text' missing for channel fb",
    "param 'OTT-Messaging' missing for channel fb",
    "param 'fb' missing for channel fb",
    "param 'text' missing for channel wechat",
    "param 'wechat' missing for channel wechat",
    "param 'OTT-Messaging' missing for channel wechat",
    "param 'text' missing for channel twitter",
    "param 'twitter' missing for channel twitter",
    "param 'OTT-Messaging' missing for channel twitter",
    "param 'text' missing for channel rt",
    "param 'rt' missing for channel rt",
    "param 'body' missing for channel sms",
    "param 'text' missing for channel sms",
    "param 'sms' missing for channel sms",
    "either param 'callflowid' or param 'media' is required",
    "param 'voice' missing for channel voice",
    "No destination channel information found in request",
    "param 'deliverychannel' missing",
    "mandatory param device_types missing",
    "mandatory param value missing for action xxx",
    "mandatory param pos missing",
    "mandatory param category missing",
    "mandatory param actions missing",
)

_7004_VARIANTS = (
    "invalid value of param 'type' , only [1,2,3,4] are allowed",
    "invalid delivery channel",
    "invalid device type xxx, only ios or android is allowed",
    "duplicate device type xxx",
    "invalid value of param pos, duplicate values for pos are not allowed",
    "invalid value of param action or action is invalid for this channel",
    "invalid value of param value, specified value is invalid for action xxx",
    "invalid action for identifier xxx",
    "invalid identifier or no actions mapped for this identifier",
    "no identifier found for this category and at this position",
    "invalid value of param pos, only positions [xx,xx] are allowed for this category",
    "invalid number of actions, expected actions size xx, but found xx",
    "invalid value of param category or no identifiers mapped to this category",
)

_STATUS_API: tuple[CodeInfo, ...] = (
    # Request errors. 7001/7002/7007 mean the proxy's own service configuration is wrong, so
    # the caller gets a gateway error rather than a client error.
    _api(
        7000, "Invalid JSON", "Returned when an invalid JSON request is sent.", _REQUEST_ERROR, 400
    ),
    _api(
        7001,
        "Authentication failed",
        "Returned when an invalid service key or profile key is provided in the request.",
        _REQUEST_ERROR,
        502,
    ),
    _api(
        7002,
        "Service Key Missing",
        "Returned when the parameter key is missing in the message request.",
        _REQUEST_ERROR,
        502,
    ),
    _api(
        7003,
        "any one of [customerid,msisdn,email, userid,pushid,psid, twitterid, wechatid]"
        " is mandatory",
        "Returned when a mandatory parameter is missing for destination.",
        _REQUEST_ERROR,
        400,
        _7003_VARIANTS,
    ),
    _api(
        7004,
        "invalid value for param 'priority', it should be one of [1,2,3,4,5]",
        "Returned when the parameter priority value is other than 1 to 5 for rt channel.",
        _REQUEST_ERROR,
        400,
        _7004_VARIANTS,
    ),
    _api(7005, "Request expired", "Returned when the request is expired.", _REQUEST_ERROR, 504),
    # The platform failed, not the request: a retry may succeed.
    _api(
        7006, "Internal error occurred", "Returned when an internal error occurs.", _TRANSIENT, 502
    ),
    _api(
        7007,
        "Service Inactive",
        "Returned when a service is in inactive state.",
        _REQUEST_ERROR,
        502,
    ),
    _api(
        7009,
        "Maximum number of destination address",
        "Returned when an API request exceeds the limit (1000) to send messages"
        " using messaging API.",
        _REQUEST_ERROR,
        400,
    ),
    # Send-time rejections, reported as the message's outcome.
    _api(7101, "Invalid Sender ID", "Returned when the sender ID is invalid.", _PERMANENT),
    _api(
        7102,
        "Invalid address",
        "Returned when the address is invalid.",
        _PERMANENT,
        suppression=_INVALID_ADDRESS,
    ),
    # Sending again after the account is topped up can succeed.
    _api(
        7103,
        "Not enough credits",
        "Returned when the client does not have enough credits in his account.",
        _TRANSIENT,
    ),
    _api(7104, "Invalid app id", "Returned when the app id is invalid.", _PERMANENT),
    _api(
        7105,
        "Customer profile not found",
        "Returned when the customer profile is not found.",
        _PERMANENT,
    ),
    _api(
        7106, "Channel not configured", "Returned when the channel is not configured.", _PERMANENT
    ),
    _api(
        7107,
        "Message length exceeded",
        "Returned when the length of the message exceeded.",
        _PERMANENT,
    ),
    _api(7108, "Invalid template", "Returned when the template is invalid.", _PERMANENT),
    # The user chose not to be contacted; resending will not change that. No suppression
    # though: Do Not Disturb registries block promotional messages, not one-time passwords
    # or transactional ones to the same number.
    _api(
        7109,
        "User in DnD",
        "Returned when the user is registered on Do Not Disturb list.",
        _PERMANENT,
    ),
    _api(7110, "User is not active", "Returned when the user is in inactive state.", _PERMANENT),
    _api(
        7111,
        "Spam content detected",
        "Returned when the content contains a spam word.",
        _PERMANENT,
    ),
    _api(7112, "Invalid message type", "Returned when the message type is invalid.", _PERMANENT),
    # Blocked only by the time of day: the same message sent in social hours goes through.
    _api(
        7113,
        "Social hours",
        "Returned when the message is sent during non-social hours.",
        _TRANSIENT,
    ),
    # Needs an administrator to change the configuration; a plain resend fails the same way.
    _api(
        7114,
        "Configuration Error. Please contact admin.",
        "Returned when there is an error in configuration.",
        _PERMANENT,
    ),
    _api(7115, "Rate plan not defined", "Returned when the rate plan is not defined.", _PERMANENT),
    _api(
        7116,
        "Destination profile is not verified",
        "Returned when the destination profile is not verified.",
        _PERMANENT,
    ),
    _api(
        7117,
        "RTM is not enabled for this app",
        "Returned when RTM is not enabled for this application.",
        _PERMANENT,
    ),
    _api(
        7118,
        "Push is not enabled for this app",
        "Returned when Push is not enabled for this application.",
        _PERMANENT,
    ),
    _api(
        7119,
        "Destination profile doesn't have OS details",
        "Returned when the destination profile does not have OS details.",
        _PERMANENT,
    ),
    _api(
        7120,
        "Voice params length exceeded",
        "Returned when the voice parameters length is exceeded.",
        _PERMANENT,
    ),
    # A failed fetch of template values, not a bad message: a later send may fetch them.
    _api(
        7121,
        "Replaceable params could not be fetched.",
        "Returned when the replaceable parameters could not be fetched.",
        _TRANSIENT,
    ),
    # Delivery outcomes.
    _api(7200, "Unknown Status", "Returned when the status is unknown.", _UNKNOWN),
    _api(
        7201,
        "Delivery failed at Operator",
        "Returned when the delivery failed at operator.",
        _PERMANENT,
    ),
    _api(
        7202,
        "Delivery failed at platform",
        "Returned when the delivery failed at platform.",
        _PERMANENT,
    ),
    _api(
        7203,
        "Unknown Subscriber address",
        "Returned when the subscriber address is not known.",
        _PERMANENT,
        suppression=_INVALID_ADDRESS,
    ),
    _api(
        7204,
        "Insufficient Credits in subscriber account",
        "Returned when the subscriber account has insufficient credits.",
        _PERMANENT,
    ),
    _api(
        7205,
        "Error in Binary message",
        "Returned when there is an error in binary message.",
        _PERMANENT,
    ),
    # A full SIM or a handset out of coverage can receive a later send.
    _api(
        7206,
        "Can't deliver. Subscriber SIM Full",
        "Returned when the subscribers sim is full.",
        _TRANSIENT,
    ),
    _api(
        7207,
        "Subscriber out of coverage area or not reachable",
        "Returned when the subscriber is out of coverage area.",
        _TRANSIENT,
    ),
    # A lookup answered with 7208 means the proxy's address is not whitelisted: our fault
    # upstream, hence 502. On SMS callbacks 7208 means something else (see below).
    _api(
        7208,
        "Source ip is not white listed",
        "Returned when the source IP is not whitelisted.",
        _PERMANENT,
        502,
    ),
    _api(
        7209,
        "Unable to deliver multipart message",
        "Returned when unable to deliver multi part message.",
        _PERMANENT,
    ),
    _api(
        7210,
        "Billing Configuration error",
        "Returned when there is an error in billing configuration.",
        _PERMANENT,
    ),
    _api(
        7211, "Billing error at operator", "Returned when an error occurs at operator.", _PERMANENT
    ),
    _api(
        7212,
        "Invalid registration",
        "Returned when the registration is invalid.",
        _PERMANENT,
        suppression=_UNREGISTERED,
    ),
    _api(
        7213,
        "Unregistered",
        "Returned when the user is not registered.",
        _PERMANENT,
        suppression=_UNREGISTERED,
    ),
    # A push cloud (FCM/APNs) outage, not a bad destination.
    _api(7214, "Cloud specific failure", "Returned due to cloud failure.", _TRANSIENT),
    _api(7301, "Message expired", "Returned when the message is expired.", _PERMANENT),
    _api(7302, "Rate limit exceeded", "Returned when the rate limit exceeded.", _TRANSIENT, 429),
    # Only the notification expired: the message itself may well have been delivered.
    _api(
        7303,
        "Delivery notification of a message expired",
        "Returned when the delivery notification of a message is expired.",
        _UNKNOWN,
    ),
    _api(
        7304,
        "Invalid app credentials(Invalid OAuth)",
        "Returned when invalid app credentials are provided.",
        _PERMANENT,
    ),
    _api(
        7305,
        "Invalid user credentials",
        "Returned when user credentials are invalid.",
        _PERMANENT,
    ),
    _api(
        7306,
        "Duplicate message for twitter",
        "Returned when a duplicate message is sent on Twitter.",
        _PERMANENT,
    ),
    # Facebook being unreachable is an outage on their side.
    _api(
        7307,
        "End point not reachable(FB is not reachable)",
        "Returned when Facebook is not reachable",
        _TRANSIENT,
    ),
    # A call nobody took or a busy line can be answered next time; a rejection cannot.
    _api(7401, "No answer", "Returned when the call is not answered.", _TRANSIENT),
    _api(7402, "Customer busy", "Returned when the customer is busy.", _TRANSIENT),
    _api(7403, "Call rejected", "Returned when the call is rejected.", _PERMANENT),
    _api(7404, "Others", "Returned for other errors", _PERMANENT),
    _api(
        7500,
        "Delivered",
        "Returned when the delivery is completed successfully.",
        Classification.DELIVERED,
    ),
    _api(7501, "Submited", "Returned when the submit is success.", Classification.IN_PROGRESS),
    _api(7502, "Read", "Returned when the message is read.", Classification.READ),
    # Lookup answers.
    _api(7600, "no results found", "Returned when the results are not found.", _REQUEST_ERROR, 404),
    _api(
        7601,
        "transaction is not under this service or service key is invalid",
        "Returned when there is a mismatch with the service key or transaction.",
        _REQUEST_ERROR,
        403,
    ),
    # The user is offline: a delivery outcome, not a failed lookup, so no HTTP status.
    _api(
        7602,
        "user presence failure",
        "Returned when the user not available in the network.",
        _TRANSIENT,
    ),
    _api(
        7603,
        "either validation failed for request or user verification failure",
        "Returned when the validation is failed or user verification is failed for the request.",
        _REQUEST_ERROR,
        400,
    ),
)

_CHANNEL_SPECIFIC: tuple[CodeInfo, ...] = (
    _callback(
        7208,
        "Message expired",
        "SMS callback with Un-Delivered or Expired: the message expired before it reached the"
        " handset. The status-API meaning (source IP not whitelisted) does not apply.",
        _PERMANENT,
        channels=frozenset({Channel.SMS}),
        statuses=frozenset({DeliveryStatus.UNDELIVERED, DeliveryStatus.EXPIRED}),
        source="channel_specific",
    ),
    _callback(
        7101,
        "Invalid Sender ID",
        "Returned when the sender ID is invalid.",
        _PERMANENT,
        channels=frozenset({Channel.SMS}),
        statuses=_SMS_FAILURE,
        source="channel_specific",
    ),
    _callback(
        7203,
        "Unknown Subscriber address",
        "Returned when the subscriber address is not known.",
        _PERMANENT,
        suppression=_INVALID_ADDRESS,
        channels=frozenset({Channel.SMS}),
        statuses=_SMS_FAILURE,
        source="channel_specific",
    ),
    _callback(
        7513,
        "Unregistered Device",
        "Push: the device token is no longer registered with the push service.",
        _PERMANENT,
        suppression=_UNREGISTERED,
        channels=frozenset({Channel.PUSH}),
        source="channel_specific",
    ),
    # US/CA carriers report a full inbox or a busy handset with 7513; a later send can land.
    _callback(
        7513,
        "Inbox full or busy",
        "SMS (US/CA): the handset's inbox is full or the subscriber is busy.",
        _TRANSIENT,
        channels=frozenset({Channel.SMS}),
        source="channel_specific",
    ),
)

# Codes seen only in callbacks. Most exist on one channel only but mean the same whatever
# the channel field says, so they apply to any channel: a callback with an unrecognised
# channel still resolves.
_CALLBACK_ONLY: tuple[CodeInfo, ...] = (
    _callback(
        7010,
        "Service provider exception.",
        "The channel's provider (Facebook, Twitter, ...) refused the message; its own error is"
        " in additional_info.",
        _PERMANENT,
    ),
    _callback(
        7240,
        "Email already bounced",
        "Email: the address bounced before, so the message was not sent.",
        _PERMANENT,
        suppression=_BOUNCE,
    ),
    _callback(
        7241,
        "Unsubscribed",
        "Email: the address is on the unsubscribe list (Description reads"
        " 'unsubscribed : <address>').",
        _PERMANENT,
        suppression=_UNSUBSCRIBED,
    ),
    _callback(
        7513,
        "Unregistered Device",
        "The destination device or address is not registered (push). On US/CA SMS the same"
        " code means inbox full or busy.",
        _PERMANENT,
        suppression=_UNREGISTERED,
    ),
    # Arrives with Failed, but the vendor gives no reason: the status records the failure and
    # the code tells nothing more.
    _callback(7518, "Unknown", "The platform reported an unknown outcome.", _UNKNOWN),
    _callback(7519, "Answered", "Voice: the call was answered.", Classification.DELIVERED),
    # Transient_* bounces exist too, but the code alone cannot tell them apart; the bounce
    # type is in the callback's Description.
    _callback(
        7520,
        "Bounce",
        "Email: the message bounced. The callback's Description carries the SES bounce type:"
        " Permanent_General, Permanent_NoEmail, Permanent_Suppressed, Transient_General,"
        " Transient_MailboxFull, Transient_MessageTooLarge, Transient_ContentRejected or"
        " Transient_AttachmentRejected.",
        _PERMANENT,
        suppression=_BOUNCE,
    ),
    _callback(
        7521,
        "Complaint",
        "Email: the recipient complained. The callback's Description carries the feedback"
        " type: abuse, auth-failure, fraud, not-spam, other or virus.",
        _PERMANENT,
        suppression=SuppressionReason.COMPLAINT,
    ),
    _callback(
        7522,
        "Account in sandbox mode. Destination email address is not verified",
        "Email: the sending account is in sandbox mode and the address is not verified.",
        _PERMANENT,
        suppression=SuppressionReason.NOT_VERIFIED,
    ),
    _callback(
        7523,
        "Email address is invalid",
        "Email: the destination address is not a valid email address.",
        _PERMANENT,
        suppression=_INVALID_ADDRESS,
    ),
    _callback(
        7524,
        "Email address too long",
        "Email: the destination address exceeds the allowed length.",
        _PERMANENT,
        suppression=_INVALID_ADDRESS,
    ),
    _callback(7528, "Clicked", "Email: the recipient clicked a link.", Classification.READ),
)

# The vendor documents 9000-9010 only as contact-policy blocks (consent, frequency caps),
# not code by code. The policy blocked this message for good, even if a cap lifts later.
_CONTACT_POLICY: tuple[CodeInfo, ...] = tuple(
    _callback(
        code,
        "Blocked by contact policy",
        "The tenant's contact policy (consent or frequency cap) blocked the message before it"
        " was sent.",
        _PERMANENT,
    )
    for code in range(9000, 9011)
)

CODE_TABLE: tuple[CodeInfo, ...] = (
    _STATUS_API + _CHANNEL_SPECIFIC + _CALLBACK_ONLY + _CONTACT_POLICY
)
