//! Headless Chromium through chromedriver (the W3C WebDriver protocol over HTTP), for the dashboard test.
//! Both come from Debian (`chromium`, `chromium-driver`); `deploy/local/install.sh` installs them for tests.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
}

fn find(candidates: &[&str]) -> Option<String> {
    candidates.iter().find(|p| std::path::Path::new(p).exists()).map(|p| p.to_string())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with a laptop-sized window.
    pub async fn start() -> anyhow::Result<Browser> {
        let driver_bin = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
            .ok_or_else(|| anyhow::anyhow!("chromedriver not installed (apt-get install chromium chromium-driver)"))?;
        let chromium = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])
            .ok_or_else(|| anyhow::anyhow!("chromium not installed"))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1800"]
        }}}});
        let res: Value = http.post(format!("{base}/session")).json(&caps).send().await?.json().await?;
        let session = res["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no WebDriver session: {res}"))?
            .to_string();
        Ok(Browser { driver, http, session, base })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = self.http.request(method, url);
        let req = if body.is_null() { req } else { req.json(&body) };
        let res: Value = req.send().await?.json().await?;
        if let Some(err) = res["value"].get("error") {
            anyhow::bail!("webdriver {path}: {err} {}", res["value"]["message"]);
        }
        Ok(res["value"].clone())
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/url", json!({"url": url})).await.map(|_| ())
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its value.
    pub async fn eval(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": args})).await
    }

    async fn element(&self, css: &str) -> anyhow::Result<String> {
        let v = self.call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css})).await?;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no element {css}"))
    }

    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let id = self.element(css).await?;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), json!({"text": text})).await.map(|_| ())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let id = self.element(css).await?;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), json!({})).await.map(|_| ())
    }

    /// Waits until `script` returns true.
    pub async fn wait_for(&self, script: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.eval(script, json!([])).await? == json!(true) {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "timed out waiting for: {script}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A PNG of the whole window.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        use base64::Engine;
        let v = self.call(reqwest::Method::GET, "/screenshot", Value::Null).await?;
        let b64 = v.as_str().ok_or_else(|| anyhow::anyhow!("no screenshot"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
