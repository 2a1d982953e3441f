"""Contains all the data models used in inputs/outputs"""

from .action import Action
from .action_create import ActionCreate
from .action_envelope import ActionEnvelope
from .action_list import ActionList
from .action_result import ActionResult
from .action_status import ActionStatus
from .api_error import ApiError
from .api_error_api_error_body import ApiErrorApiErrorBody
from .api_error_api_error_body_api_error_detail import (
    ApiErrorApiErrorBodyApiErrorDetail,
)
from .channel import Channel
from .contact import Contact
from .contact_input import ContactInput
from .custom_http_payload import CustomHttpPayload
from .custom_http_payload_headers import CustomHttpPayloadHeaders
from .error_type import ErrorType
from .http_method import HttpMethod
from .initial_message import InitialMessage
from .message import Message
from .message_create import MessageCreate
from .message_envelope import MessageEnvelope
from .message_list import MessageList
from .message_role import MessageRole
from .ticket import Ticket
from .ticket_create import TicketCreate
from .ticket_envelope import TicketEnvelope
from .ticket_list import TicketList
from .ticket_patch import TicketPatch
from .ticket_priority import TicketPriority
from .ticket_status import TicketStatus
from .ticket_summary import TicketSummary
from .ticket_updated_data import TicketUpdatedData
from .ticket_updated_data_changed_fields_item import TicketUpdatedDataChangedFieldsItem
from .webhook_delivery import WebhookDelivery
from .webhook_delivery_envelope import WebhookDeliveryEnvelope
from .webhook_delivery_list import WebhookDeliveryList
from .webhook_delivery_status import WebhookDeliveryStatus
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_create import WebhookEndpointCreate
from .webhook_endpoint_envelope import WebhookEndpointEnvelope
from .webhook_endpoint_list import WebhookEndpointList
from .webhook_endpoint_patch import WebhookEndpointPatch
from .webhook_endpoint_with_secret import WebhookEndpointWithSecret
from .webhook_event import WebhookEvent
from .webhook_event_data import WebhookEventData
from .webhook_event_type import WebhookEventType

__all__ = (
    "Action",
    "ActionCreate",
    "ActionEnvelope",
    "ActionList",
    "ActionResult",
    "ActionStatus",
    "ApiError",
    "ApiErrorApiErrorBody",
    "ApiErrorApiErrorBodyApiErrorDetail",
    "Channel",
    "Contact",
    "ContactInput",
    "CustomHttpPayload",
    "CustomHttpPayloadHeaders",
    "ErrorType",
    "HttpMethod",
    "InitialMessage",
    "Message",
    "MessageCreate",
    "MessageEnvelope",
    "MessageList",
    "MessageRole",
    "Ticket",
    "TicketCreate",
    "TicketEnvelope",
    "TicketList",
    "TicketPatch",
    "TicketPriority",
    "TicketStatus",
    "TicketSummary",
    "TicketUpdatedData",
    "TicketUpdatedDataChangedFieldsItem",
    "WebhookDelivery",
    "WebhookDeliveryEnvelope",
    "WebhookDeliveryList",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEndpointCreate",
    "WebhookEndpointEnvelope",
    "WebhookEndpointList",
    "WebhookEndpointPatch",
    "WebhookEndpointWithSecret",
    "WebhookEvent",
    "WebhookEventData",
    "WebhookEventType",
)
