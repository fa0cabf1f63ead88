"""Every flow the assistant runs, by name (the value kept in Conversation.flow)."""

from balai.conversations.flows.complaint import ComplaintForm
from balai.conversations.flows.info import InfoForm
from balai.conversations.flows.letter import LetterForm
from balai.conversations.flows.menu import Menu
from balai.programmes.documentation import DocumentationForm

FLOWS = {
    "menu": Menu(),
    "letter": LetterForm(),
    "complaint": ComplaintForm(),
    "info": InfoForm(),
    "dokumentasi": DocumentationForm(),
}
