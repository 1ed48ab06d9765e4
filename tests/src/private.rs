//! Servers of a test's own, for the tests that freeze or kill one: a ClickHouse on free ports with the
//! project's local config, in a temporary directory, stopped and removed when dropped. (The shared servers
//! `make test` started must keep serving the other tests.)

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateClickHouse {
    child: Child,
    dir: PathBuf,
    pub url: String,
}

fn spawn_server(dir: &std::path::Path) -> Child {
    Command::new("clickhouse-server")
        .arg(format!("--config-file={}", dir.join("clickhouse/config.xml").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("clickhouse-server (make test installs it)")
}

async fn wait_up(url: &str) {
    let ping = format!("{url}/ping");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if reqwest::get(&ping).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(Instant::now() < deadline, "private ClickHouse did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl PrivateClickHouse {
    pub async fn start() -> PrivateClickHouse {
        let dir = std::env::temp_dir().join(format!("lrs-e2e-ch-{}", uuid::Uuid::new_v4().simple()));
        let (http, tcp) = (free_port(), free_port());
        for sub in [
            "clickhouse/data",
            "clickhouse/tmp",
            "clickhouse/log",
            "clickhouse/user_files",
            "clickhouse/format_schemas",
        ] {
            std::fs::create_dir_all(dir.join(sub)).expect("temp dir");
        }
        let local = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/local/clickhouse");
        let template = std::fs::read_to_string(format!("{local}/config.xml.template")).expect("config template");
        let config = template
            .replace("@DATA@", &dir.to_string_lossy())
            .replace("@HTTP_PORT@", &http.to_string())
            .replace("@TCP_PORT@", &tcp.to_string());
        std::fs::write(dir.join("clickhouse/config.xml"), config).expect("config");
        std::fs::copy(format!("{local}/users.xml"), dir.join("clickhouse/users.xml")).expect("users");
        let child = spawn_server(&dir);
        let url = format!("http://127.0.0.1:{http}");
        wait_up(&url).await;
        PrivateClickHouse { child, dir, url }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{signal}");
    }

    /// SIGSTOP: the server keeps its connections but answers nothing.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    pub fn thaw(&self) {
        self.signal("CONT");
    }

    /// SIGKILL: gone at once, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same data and ports.
    pub async fn restart(&mut self) {
        self.child = spawn_server(&self.dir);
        wait_up(&self.url).await;
    }
}

impl Drop for PrivateClickHouse {
    fn drop(&mut self) {
        self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
