"""Reads IT-styrgruppen's agenda from a running Samverkan server with grpcio,
learning every message type from the server's reflection service: no .proto
files, no generated code.

    SAMVERKAN_SERVER=127.0.0.1:50051 SAMVERKAN_TOKEN=<jwt> python agenda_via_reflection.py

Exits non-zero when it cannot find the forum or read one of its meetings.
"""

import os
import sys

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


class Reflected:
    """Calls unary methods by name, with types resolved through reflection."""

    def __init__(self, channel, token):
        self.channel = channel
        self.pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        self.metadata = [("authorization", f"Bearer {token}")]

    def call(self, service, method, **fields):
        svc = self.pool.FindServiceByName(service)
        m = svc.FindMethodByName(method)
        request_type = GetMessageClass(m.input_type)
        response_type = GetMessageClass(m.output_type)
        stub = self.channel.unary_unary(
            f"/{svc.full_name}/{m.name}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        return stub(request_type(**fields), metadata=self.metadata, timeout=10)


def main():
    server = os.environ.get("SAMVERKAN_SERVER", "127.0.0.1:50051")
    token = os.environ["SAMVERKAN_TOKEN"]
    with grpc.insecure_channel(server) as channel:
        api = Reflected(channel, token)
        forums = api.call("samverkan.roles.v1.RolesService", "ListForums").forums
        styrgruppen = next((f for f in forums if f.code == "styrgruppen"), None)
        if styrgruppen is None:
            sys.exit(f"no forum with code 'styrgruppen' among {[f.code for f in forums]}")
        print(f"forum: {styrgruppen.name} ({styrgruppen.id})")
        meetings = api.call(
            "samverkan.forums.v1.ForumsService", "ListMeetings", forum_id=styrgruppen.id
        ).meetings
        if not meetings:
            sys.exit("IT-styrgruppen has no meetings")
        meeting = api.call(
            "samverkan.forums.v1.ForumsService", "GetMeeting", id=meetings[-1].id
        ).meeting
        print(f"meeting: {meeting.title}")
        for item in meeting.agenda:
            print(f"  {item.number}. {item.title}")
        print(f"items: {len(meeting.agenda)}")


if __name__ == "__main__":
    main()
