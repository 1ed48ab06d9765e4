pub async fn run(_s: &lrs_common::Settings, _a: &[String]) -> anyhow::Result<()> { Ok(()) }
