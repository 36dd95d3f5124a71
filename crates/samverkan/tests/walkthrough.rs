//! The README's walkthrough, run as written: a fresh `samverkan serve --demo
//! --dev-auth` (the real binary, SQLite in a temporary directory, a free
//! port), then every `$ samverkan …` line between the walkthrough markers,
//! in order, with the same binary. Each must exit 0; every other line under
//! a command must appear in its output (whitespace runs compared as one
//! space), and a `# not shown: X` line means X must not.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_samverkan");
/// The address the README uses; the test substitutes its own.
const README_SERVER: &str = "http://127.0.0.1:50051";

struct Step {
    line: usize,
    command: String,
    expect: Vec<String>,
    absent: Vec<String>,
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn steps(readme: &str) -> Vec<Step> {
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("README has <!-- walkthrough:start -->");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("README has <!-- walkthrough:end -->");
    let first_line = readme[..start].lines().count();
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    for (i, line) in readme[start..end].lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block || t.is_empty() {
            continue;
        }
        if let Some(cmd) = t.strip_prefix("$ ") {
            steps.push(Step {
                line: first_line + i,
                command: cmd.to_owned(),
                expect: Vec::new(),
                absent: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            if let Some(x) = t.strip_prefix("# not shown:") {
                step.absent.push(x.trim().to_owned());
            } else if !t.starts_with("# ") {
                // Anything but a comment for readers is expected output.
                step.expect.push(normalise(t));
            }
        } else {
            panic!(
                "README line {}: output before any command: {t}",
                first_line + i
            );
        }
    }
    steps
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a command line as a POSIX shell would for the quoting the README
/// uses: double and single quotes, backslash escapes outside single quotes.
fn split(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                any = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\'' => {
                any = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '\\' => {
                any = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        args.push(cur);
    }
    args
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

fn start_server(dir: &Path) -> (Server, SocketAddr) {
    let addr = free_addr();
    let db = format!("sqlite://{}?mode=rwc", dir.join("samverkan.db").display());
    let child = Command::new(BIN)
        .args(["serve", "--demo", "--dev-auth", "--listen"])
        .arg(addr.to_string())
        .args(["--database-url", &db, "--log", "warn"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SAMVERKAN_SERVICES")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start samverkan serve");
    let mut server = Server(child);
    // The server binds only after migrations and the demo are in place.
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("samverkan serve exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the server did not listen within 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, addr)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "samverkan-walkthrough-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let text = readme();
    let steps = steps(&text);
    assert!(
        steps.len() >= 20,
        "the walkthrough has only {} commands",
        steps.len()
    );
    let dir = temp_dir();
    let (_server, addr) = start_server(&dir);
    let server_url = format!("http://{addr}");
    let started = Instant::now();
    for step in &steps {
        let line = step.command.replace(README_SERVER, &server_url);
        let args = split(&line);
        assert_eq!(
            args.first().map(String::as_str),
            Some("samverkan"),
            "README line {}: walkthrough commands run the samverkan binary: {line}",
            step.line
        );
        let out = Command::new(BIN)
            .args(&args[1..])
            .current_dir(&dir)
            .env("SAMVERKAN_CONFIG", dir.join("session.json"))
            .env_remove("SAMVERKAN_SERVER")
            .env_remove("SAMVERKAN_TOKEN")
            .env_remove("SAMVERKAN_DEV_SECRET")
            .env_remove("SAMVERKAN_JWT_ISSUER")
            .env_remove("SAMVERKAN_JWT_AUDIENCE")
            .output()
            .expect("run samverkan");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "README line {}: `{line}` failed ({}):\n{stdout}\n{stderr}",
            step.line,
            out.status
        );
        let flat: Vec<String> = stdout.lines().map(normalise).collect();
        for want in &step.expect {
            assert!(
                flat.iter().any(|l| l.contains(want.as_str())),
                "README line {}: `{line}` did not print {want:?}; it printed:\n{stdout}",
                step.line
            );
        }
        for not in &step.absent {
            assert!(
                !stdout.contains(not.as_str()),
                "README line {}: `{line}` printed {not:?}, which must not be shown:\n{stdout}",
                step.line
            );
        }
    }
    eprintln!(
        "walkthrough: {} commands in {:.1} s",
        steps.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn command_lines_split_like_a_shell() {
    assert_eq!(
        split(r#"samverkan notes add "IT-styrgruppen 6/2026" --text 'a "b"' c\ d"#),
        [
            "samverkan",
            "notes",
            "add",
            "IT-styrgruppen 6/2026",
            "--text",
            "a \"b\"",
            "c d"
        ]
    );
    assert_eq!(split(r#"x "" y"#), ["x", "", "y"]);
}
