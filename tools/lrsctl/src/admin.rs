//! `lrsctl stores ...` and `lrsctl credentials ...`: the admin API from the command line, with the admin
//! credential from LRS_ADMIN_KEY / LRS_ADMIN_SECRET against LRS_PUBLIC_URL (or `--url`).

use anyhow::bail;
use lrs_common::Settings;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Stores {
    /// List the stores.
    List,
    /// Create a store.
    Create { name: String },
    /// Delete a store and everything in it (statements, documents, attachments, analytics, credentials).
    Delete { name: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum Credentials {
    /// List the live credentials (never their secrets).
    List {
        #[arg(long)]
        store: Option<String>,
    },
    /// Create a credential; its secret is printed this once.
    Create {
        #[arg(long)]
        store: String,
        /// An xAPI scope (repeatable): statements/write, statements/read/mine, statements/read, state, define,
        /// profile, all/read, all, analytics/read. None: statements/write and statements/read/mine.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a credential: every replica refuses it within LRS_CREDENTIALS_REFRESH_MS.
    Revoke { key: String },
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
}

impl Api {
    fn new(settings: &Settings, url: Option<String>) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            base: url.unwrap_or_else(|| settings.public_url.clone()).trim_end_matches('/').to_string(),
            key: settings.admin_key.clone(),
            secret: settings.admin_secret.clone(),
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req =
            self.http.request(method, format!("{}{path}", self.base)).basic_auth(&self.key, Some(&self.secret));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(String::from))
                .unwrap_or(text);
            bail!("{status}: {message}");
        }
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? })
    }
}

fn print(v: &Value) -> anyhow::Result<()> {
    if !v.is_null() {
        println!("{}", serde_json::to_string_pretty(v)?);
    }
    Ok(())
}

pub async fn stores(settings: &Settings, url: Option<String>, command: Stores) -> anyhow::Result<()> {
    let api = Api::new(settings, url)?;
    use reqwest::Method;
    let out = match command {
        Stores::List => api.call(Method::GET, "/admin/stores", None).await?,
        Stores::Create { name } => api.call(Method::POST, "/admin/stores", Some(json!({"name": name}))).await?,
        Stores::Delete { name } => {
            api.call(Method::DELETE, &format!("/admin/stores/{}", lrs_common::http::form::escape(&name)), None).await?;
            json!({"deleted": name})
        }
    };
    print(&out)
}

pub async fn credentials(settings: &Settings, url: Option<String>, command: Credentials) -> anyhow::Result<()> {
    let api = Api::new(settings, url)?;
    use reqwest::Method;
    let out = match command {
        Credentials::List { store } => {
            let query = store.map(|s| format!("?store={}", lrs_common::http::form::escape(&s))).unwrap_or_default();
            api.call(Method::GET, &format!("/admin/credentials{query}"), None).await?
        }
        Credentials::Create { store, scopes, label } => {
            let body = json!({"store": store, "scopes": scopes, "label": label});
            api.call(Method::POST, "/admin/credentials", Some(body)).await?
        }
        Credentials::Revoke { key } => {
            api.call(Method::DELETE, &format!("/admin/credentials/{}", lrs_common::http::form::escape(&key)), None)
                .await?;
            json!({"revoked": key})
        }
    };
    print(&out)
}

#[derive(Debug, clap::Args)]
pub struct Erase {
    /// The store to erase the person from.
    #[arg(long)]
    store: String,
    /// The person, as xAPI Agent JSON: '{"mbox":"mailto:alice@example.com"}' (an mbox also erases statements
    /// naming its mbox_sha1sum).
    #[arg(long)]
    agent: String,
    /// Return once the job is started instead of waiting for it to finish.
    #[arg(long)]
    no_wait: bool,
    /// The LRS base URL (default: LRS_PUBLIC_URL).
    #[arg(long)]
    url: Option<String>,
}

/// `lrsctl erase`: starts the erasure of a person and follows its job until it is done.
pub async fn erase(settings: &Settings, o: Erase) -> anyhow::Result<()> {
    use reqwest::Method;
    let api = Api::new(settings, o.url)?;
    let escape = lrs_common::http::form::escape;
    let path = format!("/admin/agents?store={}&agent={}", escape(&o.store), escape(&o.agent));
    let mut job = api.call(Method::DELETE, &path, None).await?;
    let status = format!("/admin/jobs/{}", job["id"].as_str().unwrap_or_default());
    while !o.no_wait && job["state"] == "running" {
        eprintln!("{}", job["step"].as_str().unwrap_or_default());
        tokio::time::sleep(Duration::from_secs(1)).await;
        job = api.call(Method::GET, &status, None).await?;
    }
    print(&job)?;
    if !o.no_wait && job["state"] != "done" {
        bail!("the erasure did not finish ({}); run the same command again to complete it", job["state"]);
    }
    Ok(())
}
