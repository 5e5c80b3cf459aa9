"""Access rules of the people blueprint: preferences, contacts, messages, consent, circulars."""
POLICY = {
    "people.preferences": "login",
    "people.unsubscribe": "public",  # the signed token in the address is the credential
    "people.city_contacts": "owner:city-contacts",
    "people.remove_contact": "owner:contact",
    "people.proposal_messages": "owner:proposal-thread",
    "people.mentorship_messages": "owner:mentorship-thread",
    "people.consent_gate": "coordinator",
    "people.endorse": "public",  # a signed, single-use, expiring token is the credential
    "people.circulars_index": "login",
    "people.circular": "owner:circular",
    "people.new_circular": "coordinator",
    "people.edit_circular": "coordinator",
    "people.send_circular": "coordinator",
    "people.mentorship_export": "owner:mentorship-thread",
}
