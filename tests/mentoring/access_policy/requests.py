POLICY = {
    "requests.new": "owner:request_city",
    "requests.index": "login",
    "requests.open_list": "coordinator",
    "requests.show": "owner:request",
    "requests.accept": "owner:request_mentor",
    "requests.decline": "owner:request_mentor",
    "requests.withdraw": "owner:request_mentee",
    "requests.approve": "coordinator",
    "requests.reject": "coordinator",
    "requests.preferences": "owner:city",
}
