//! Compiles `proto/` with protox (no system protoc) and generates tonic code
//! into OUT_DIR, plus the encoded descriptor set that reflection serves.

use std::path::{Path, PathBuf};

use prost::Message;

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            proto_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "proto") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let root = root.canonicalize().expect("proto/ exists");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    proto_files(&root, &mut files);
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    let fds = protox::compile(&files, [&root]).expect("proto files compile");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("samverkan_descriptor.bin"), fds.encode_to_vec())
        .expect("write descriptor set");

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Undecodable requests answer INVALID_ARGUMENT, not INTERNAL.
        .codec_path("crate::codec::SamverkanCodec")
        .compile_fds(fds)
        .expect("generate code");
}
