POLICY = {
    "api.rounds": "coordinator",
    "api.round_detail": "coordinator",
    "api.round_proposals": "coordinator",
    "api.proposal": "owner:proposal",
    "api.decision": "coordinator",
    "api.endorsement": "owner:proposal_city",
    "api.openapi": "public",
}
