use crate::{KEY, SECRET};
use lrs_common::{clickhouse as ch, kafka, Settings, Shutdown};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    /// The processor runs as a task of the test process.
    InProcess,
    /// The processor runs as its own OS process (`lrs-processor`), which the test can kill.
    Child,
}

enum Processor {
    Task(Shutdown, JoinHandle<anyhow::Result<()>>),
    Child(Child),
    Stopped,
}

pub struct Stack {
    pub settings: Settings,
    pub base: String,
    pub http: reqwest::Client,
    pub clickhouse: ch::Db,
    shutdown: Shutdown,
    gateway: Option<JoinHandle<anyhow::Result<()>>>,
    processor: Processor,
}

impl Stack {
    /// Starts a fresh LRS (own database, topics, group) on the shared Kafka and ClickHouse.
    pub async fn start(mode: ProcessorMode) -> Stack {
        Self::start_with(mode, |_| {}).await
    }

    pub async fn start_with(mode: ProcessorMode, tweak: impl FnOnce(&mut Settings)) -> Stack {
        let mut settings = Settings::from_env().expect("settings");
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        settings.statements_topic = format!("e2e-{tag}-statements");
        settings.dead_letter_topic = format!("e2e-{tag}-dlq");
        settings.documents_topic = format!("e2e-{tag}-documents");
        settings.ids_topic = format!("e2e-{tag}-ids");
        settings.facts_topic = format!("e2e-{tag}-facts");
        settings.consumer_group = format!("e2e-{tag}");
        settings.clickhouse_database = format!("lrs_e2e_{tag}");
        settings.dev_key = KEY.into();
        settings.dev_secret = SECRET.into();
        settings.batch_max_wait = Duration::from_millis(50);
        settings.shutdown_grace = Duration::from_secs(5);
        tweak(&mut settings);

        ch::migrate::apply(&ch::server_client(&settings), &settings.clickhouse_database)
            .await
            .expect("ClickHouse reachable at LRS_CLICKHOUSE_URL: run the tests with `make test`");
        kafka::topics::ensure(&settings, 1).await.expect("Kafka reachable at LRS_KAFKA_BROKERS: run `make test`");

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        settings.public_url = base.clone();
        let shutdown = Shutdown::new();
        let gateway = tokio::spawn(lrs_server::run(listener, settings.clone(), shutdown.clone()));
        let mut stack = Stack {
            clickhouse: ch::db(&settings),
            settings,
            base,
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
            shutdown,
            gateway: Some(gateway),
            processor: Processor::Stopped,
        };
        stack.start_processor(mode).await;
        stack.wait_ready().await;
        stack
    }

    pub async fn start_processor(&mut self, mode: ProcessorMode) {
        assert!(matches!(self.processor, Processor::Stopped), "processor already running");
        self.processor = match mode {
            ProcessorMode::InProcess => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let shutdown = Shutdown::new();
                let task = tokio::spawn(lrs_processor::run(listener, self.settings.clone(), shutdown.clone()));
                Processor::Task(shutdown, task)
            }
            ProcessorMode::Child => {
                let child = Command::new(bin_dir().join("lrs-processor"))
                    .envs(self.env())
                    .env("LRS_PROCESSOR_ADDR", "127.0.0.1:0")
                    .env("LRS_LOG_FORMAT", "text")
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("lrs-processor binary: build it with `cargo build --bins` (make test does)");
                Processor::Child(child)
            }
        };
    }

    /// SIGKILL for a child processor (no drain, no commit); an abrupt abort for an in-process one.
    pub fn kill_processor(&mut self) {
        match std::mem::replace(&mut self.processor, Processor::Stopped) {
            Processor::Child(mut child) => {
                child.kill().expect("kill");
                child.wait().expect("reaped");
            }
            Processor::Task(_, task) => task.abort(),
            Processor::Stopped => {}
        }
    }

    /// Graceful stop: drain and commit.
    pub async fn stop_processor(&mut self) {
        match std::mem::replace(&mut self.processor, Processor::Stopped) {
            Processor::Task(shutdown, task) => {
                shutdown.trigger();
                task.await.expect("joined").expect("processor ran cleanly");
            }
            Processor::Child(mut child) => {
                let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
                child.wait().expect("reaped");
            }
            Processor::Stopped => {}
        }
    }

    /// SIGTERM to a child processor; returns how long it took to exit and whether it exited with success.
    pub fn terminate_child_processor(&mut self) -> (Duration, bool) {
        let Processor::Child(mut child) = std::mem::replace(&mut self.processor, Processor::Stopped) else {
            panic!("no child processor running");
        };
        let started = Instant::now();
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let status = child.wait().expect("reaped");
        (started.elapsed(), status.success())
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let s = &self.settings;
        vec![
            ("LRS_KAFKA_BROKERS", s.kafka_brokers.clone()),
            ("LRS_STATEMENTS_TOPIC", s.statements_topic.clone()),
            ("LRS_DEAD_LETTER_TOPIC", s.dead_letter_topic.clone()),
            ("LRS_DOCUMENTS_TOPIC", s.documents_topic.clone()),
            ("LRS_IDS_TOPIC", s.ids_topic.clone()),
            ("LRS_FACTS_TOPIC", s.facts_topic.clone()),
            ("LRS_CONSUMER_GROUP", s.consumer_group.clone()),
            ("LRS_CLICKHOUSE_URL", s.clickhouse_url.clone()),
            ("LRS_CLICKHOUSE_DATABASE", s.clickhouse_database.clone()),
            ("LRS_BATCH_MAX_ROWS", s.batch_max_rows.to_string()),
            ("LRS_BATCH_MAX_WAIT_MS", s.batch_max_wait.as_millis().to_string()),
        ]
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self.http.get(format!("{}/ready", self.base)).send().await.map(|r| r.status() == 200);
            if ok.unwrap_or(false) {
                return;
            }
            assert!(Instant::now() < deadline, "gateway not ready within 30s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A request to `path` (relative to the base URL) with the credential and version header set.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "1.0.3")
    }

    pub async fn post_statements(&self, body: &Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, "/xapi/statements").json(body).send().await.expect("POST sent")
    }

    pub async fn get_statement(&self, id: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, &format!("/xapi/statements?statementId={id}"))
            .send()
            .await
            .expect("GET sent")
    }

    /// Waits until every id is readable through the query API.
    pub async fn wait_visible(&self, ids: &[String], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut missing: HashSet<String> = ids.iter().cloned().collect();
        while !missing.is_empty() {
            assert!(Instant::now() < deadline, "{} statements still not visible after {timeout:?}", missing.len());
            let present = self.stored_ids().await;
            missing.retain(|id| !present.contains(id));
            if !missing.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Distinct statement ids stored, read straight from ClickHouse.
    pub async fn stored_ids(&self) -> HashSet<String> {
        self.clickhouse
            .query("SELECT toString(id) FROM statements GROUP BY id")
            .fetch_all::<String>()
            .await
            .expect("query ids")
            .into_iter()
            .collect()
    }

    /// How many distinct statement ids are stored.
    pub async fn stored_count(&self) -> u64 {
        self.clickhouse.query("SELECT uniqExact(id) FROM statements").fetch_one::<u64>().await.expect("count")
    }

    /// Waits until `n` distinct statements are stored.
    pub async fn wait_count(&self, n: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let have = self.stored_count().await;
            if have >= n {
                return;
            }
            assert!(Instant::now() < deadline, "only {have} of {n} statements stored after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until analytics count exactly `n` statements (they trail the statements table by the analytics
    /// stage's batch).
    pub async fn wait_analytics(&self, n: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let res: Value = self
                .request(reqwest::Method::GET, "/analytics/aggregate?measures=statements")
                .send()
                .await
                .expect("analytics answered")
                .json()
                .await
                .expect("analytics JSON");
            if res["rows"][0][0].as_u64() == Some(n) {
                return;
            }
            assert!(Instant::now() < deadline, "analytics at {res}, not {n}, after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sum of the end offsets of the statements topic: how many records were ever published.
    pub fn published_records(&self) -> i64 {
        let consumer: BaseConsumer =
            ClientConfig::new().set("bootstrap.servers", &self.settings.kafka_brokers).create().expect("consumer");
        let metadata =
            consumer.fetch_metadata(Some(&self.settings.statements_topic), Duration::from_secs(10)).expect("metadata");
        let partitions = metadata.topics().first().map(|t| t.partitions().len()).unwrap_or(0);
        (0..partitions as i32)
            .map(|p| {
                // A just-created topic may not have elected its leaders yet: retry that for a while.
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    match consumer.fetch_watermarks(&self.settings.statements_topic, p, Duration::from_secs(10)) {
                        Ok((_, high)) => break high,
                        Err(e) if Instant::now() < deadline => {
                            eprintln!("watermarks of partition {p} not available yet: {e}");
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        Err(e) => panic!("watermarks of partition {p}: {e}"),
                    }
                }
            })
            .sum()
    }

    pub async fn shutdown(mut self) {
        self.stop_processor().await;
        self.shutdown.trigger();
        if let Some(gateway) = self.gateway.take() {
            gateway.await.expect("joined").expect("gateway ran cleanly");
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Processor::Child(child) = &mut self.processor {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.shutdown.trigger();
    }
}

/// Where the service binaries are: `LRS_BIN_DIR`, or the cargo profile directory this test binary is in.
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("LRS_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test binary>
    exe.parent().and_then(|deps| deps.parent()).map(PathBuf::from).expect("profile dir")
}
