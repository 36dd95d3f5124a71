//! Bytes that are not the request message answer `INVALID_ARGUMENT` on
//! every RPC, streaming ones included (issue #17): what the caller sent is
//! never an `INTERNAL` fault of the server. Enumerated from the descriptor
//! set, so a new RPC is covered without a new line here.

use prost::Message as _;
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;

use crate::harness;

/// `package.Service/Method` and whether the server streams its answer.
fn rpcs() -> Vec<(String, bool)> {
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set decodes");
    let mut out = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("samverkan.") {
            continue;
        }
        for svc in &file.service {
            for m in &svc.method {
                out.push((
                    format!("{package}.{}/{}", svc.name(), m.name()),
                    m.server_streaming(),
                ));
            }
        }
    }
    out
}

async fn undecodable_requests_are_invalid_arguments(db: TestDb) {
    let server = TestServer::start(&db, samverkan_server::Svc::ALL).await;
    let channel = server.channel().await;
    let token = TestServer::token("sofia.lindstrom@tranemo.se");
    let all = rpcs();
    assert!(all.len() > 100, "the descriptor set lists every RPC");
    let mut wrong = Vec::new();
    for (path, streaming) in &all {
        // A field tag whose varint never ends: no message decodes from it.
        let answer = harness::call(
            &channel,
            path,
            *streaming,
            Some(&token),
            vec![0xff, 0xff, 0xff],
        )
        .await;
        match answer {
            Err(s) if s.code() == Code::InvalidArgument => {
                assert!(
                    s.message().contains("not a valid protobuf"),
                    "{path}: {}",
                    s.message()
                );
            }
            Err(s) => wrong.push(format!("{path}: {:?} {}", s.code(), s.message())),
            Ok(_) => wrong.push(format!("{path}: OK")),
        }
    }
    assert!(
        wrong.is_empty(),
        "undecodable requests not answered INVALID_ARGUMENT:\n{}",
        wrong.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "undecodable requests: {} RPCs answered INVALID_ARGUMENT ({:?})",
        all.len(),
        db.backend
    ));
    server.stop().await;
}

backend_test!(undecodable_requests_are_invalid_arguments);
