//! Another LRS as an import source: `GET {url}/statements` with the given filters, following `more` until it
//! is empty, one page per batch. The resume point is the URL of the page after the last one imported.

use super::{Batch, Batches};
use anyhow::{bail, Context};
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

pub struct Source {
    http: reqwest::Client,
    first: reqwest::Url,
    key: String,
    secret: String,
}

impl Source {
    pub fn new(
        url: &str,
        key: Option<&str>,
        secret: Option<&str>,
        filters: &[(String, String)],
    ) -> anyhow::Result<Source> {
        let mut first = reqwest::Url::parse(&format!("{}/statements", url.trim_end_matches('/')))
            .with_context(|| format!("--from-lrs {url:?}"))?;
        {
            let mut q = first.query_pairs_mut();
            for (k, v) in filters {
                q.append_pair(k, v);
            }
            q.append_pair("limit", "1000");
        }
        Ok(Source {
            http: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
            first,
            key: key.unwrap_or_default().to_string(),
            secret: secret.unwrap_or_default().to_string(),
        })
    }

    /// The pages from `start` (a resume point) or the first, one batch each; the next page is fetched while
    /// the current one is imported.
    pub fn batches(self, start: Option<String>) -> Batches {
        let next = start.map_or_else(|| Ok(self.first.clone()), |u| reqwest::Url::parse(&u));
        let pages = futures::stream::unfold((self, Some(next)), |(source, next)| async move {
            let url = match next? {
                Ok(url) => url,
                Err(e) => return Some((Err(anyhow::anyhow!("state file: bad resume URL ({e})")), (source, None))),
            };
            match source.page(&url).await {
                Ok((batch, following)) => Some((Ok(batch), (source, following.map(Ok)))),
                Err(e) => Some((Err(e), (source, None))),
            }
        });
        pages.boxed()
    }

    async fn page(&self, url: &reqwest::Url) -> anyhow::Result<(Batch, Option<reqwest::Url>)> {
        let mut wait = Duration::from_millis(200);
        let mut attempt = 0;
        let res = loop {
            attempt += 1;
            let sent = self
                .http
                .get(url.clone())
                .basic_auth(&self.key, Some(&self.secret))
                .header("X-Experience-API-Version", "1.0.3")
                .send()
                .await;
            match sent {
                Ok(res) if res.status().is_success() => break res,
                Ok(res) if !(res.status().is_server_error() || res.status() == 429) || attempt >= 10 => {
                    let status = res.status();
                    bail!("{url}: {status}: {}", res.text().await.unwrap_or_default())
                }
                Err(e) if attempt >= 10 => bail!("{url}: {e}"),
                _ => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        };
        let page: Value = res.json().await.with_context(|| format!("{url}: not a StatementResult"))?;
        let statements = page["statements"].as_array().cloned().unwrap_or_default();
        let following = match page["more"].as_str() {
            Some(more) if !more.is_empty() => Some(url.join(more).with_context(|| format!("more link {more:?}"))?),
            _ => None,
        };
        let mut batch = Batch { texts: Vec::with_capacity(statements.len()), origins: Vec::new(), resume: Value::Null };
        for s in &statements {
            batch.origins.push(format!("statement {}", s["id"].as_str().unwrap_or("without an id")));
            batch.texts.push(serde_json::to_vec(s)?);
        }
        // Done with this page: resuming starts at the next one (none: the import is complete).
        batch.resume = json!({"next": following.as_ref().map(|u| u.to_string())});
        Ok((batch, following))
    }
}
