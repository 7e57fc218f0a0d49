"""One name per delivery channel, whatever spelling the platform used."""

from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    RTM = "rtm"
    PUSH = "push"
    FACEBOOK = "facebook"
    TWITTER = "twitter"
    WECHAT = "wechat"
    EMAIL = "email"
    UNKNOWN = "unknown"


# Callbacks say "rt" or "appmessaging" for RTM and "fb" for Facebook; the status API says
# "RTM" and "SMS". Keys are lower-cased before the look-up.
_CHANNEL_SPELLINGS: dict[str, Channel] = {
    "sms": Channel.SMS,
    "voice": Channel.VOICE,
    "ivr": Channel.VOICE,
    "rt": Channel.RTM,
    "rtm": Channel.RTM,
    "appmessaging": Channel.RTM,
    "inapp": Channel.RTM,
    "push": Channel.PUSH,
    "fb": Channel.FACEBOOK,
    "facebook": Channel.FACEBOOK,
    "messenger": Channel.FACEBOOK,
    "twitter": Channel.TWITTER,
    "wechat": Channel.WECHAT,
    "email": Channel.EMAIL,
}


def canonical_channel(raw: str | None) -> Channel:
    """Map a vendor channel name to a :class:`Channel`; anything unrecognised is UNKNOWN."""
    if not raw:
        return Channel.UNKNOWN
    return _CHANNEL_SPELLINGS.get(raw.strip().lower(), Channel.UNKNOWN)
