from enum import StrEnum


class Channel(StrEnum):
    API = "api"
    CHAT = "chat"
    EMAIL = "email"
    INSTAGRAM = "instagram"
    MESSENGER = "messenger"
    SMS = "sms"
    TELEGRAM = "telegram"
    VOICE = "voice"
    WEB = "web"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
