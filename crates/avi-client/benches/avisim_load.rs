//! Load benchmark: avisim throughput and latency under 32 concurrent clients (POST/GET/PUT
//! mix), and the avi-client's own cost per request compared with a bare HTTP client.
//!
//! Run: `cargo bench -p avi-client --bench avisim_load` (results go to BENCHMARKS.md).
//! Env: `AVISIM_BENCH_OPS` (operations per client, default 300), `AVISIM_BENCH_CLIENTS` (32).

use std::time::{Duration, Instant};

use avi_client::{Client, Config, Credential, Query};
use avisim::{Avisim, SimConfig};
use serde_json::{Value, json};

const USER: &str = "admin";
const PASSWORD: &str = "bench-Pass1";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    println!(
        "  {label:<6} n={:<6} mean={:>8.2?} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        mean,
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default()
    );
}

async fn client(sim: &Avisim) -> Client {
    let config = Config::new(sim.url(), USER, Credential::password(PASSWORD))
        .with_ca_pem(sim.ca_pem())
        .with_max_concurrency(64);
    Client::connect(config).await.expect("login")
}

/// 32 clients, each its own session, each running `ops` operations: 20% POST, 60% GET
/// (alternating by-uuid and by-name list), 20% PUT of objects it created.
async fn mixed_load(sim: &Avisim, clients: usize, ops: usize) {
    let mut handles = Vec::new();
    for c in 0..clients {
        let client = client(sim).await;
        handles.push(tokio::spawn(async move {
            let (mut post, mut get, mut put) = (Vec::new(), Vec::new(), Vec::new());
            let mut mine: Vec<(String, String)> = Vec::new();
            for i in 0..ops {
                let t = Instant::now();
                match i % 10 {
                    0 | 5 => {
                        let name = format!("bench-{c}-{i}");
                        let body = json!({"name": name, "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "port": 80}],
                                          "created_by": "ako-bench", "cloud_config_cksum": "1"});
                        let created: Value = client.create("pool", &body).await.expect("POST");
                        mine.push((created["uuid"].as_str().unwrap().to_owned(), name));
                        post.push(t.elapsed());
                    }
                    3 | 8 => {
                        let (uuid, name) = &mine[(i / 10) % mine.len()];
                        let body = json!({"name": name, "description": format!("v{i}"),
                                          "created_by": "ako-bench", "cloud_config_cksum": i.to_string()});
                        let _: Value = client.update("pool", uuid, &body).await.expect("PUT");
                        put.push(t.elapsed());
                    }
                    n if n % 2 == 1 => {
                        let _: Value = client.get("pool", &mine[i % mine.len()].0).await.expect("GET");
                        get.push(t.elapsed());
                    }
                    _ => {
                        let q = Query::new().name(mine[i % mine.len()].1.clone()).include_name();
                        let _: Vec<Value> = client.list("pool", &q).await.expect("LIST");
                        get.push(t.elapsed());
                    }
                }
            }
            (post, get, put)
        }));
    }
    let started = Instant::now();
    let (mut post, mut get, mut put) = (Vec::new(), Vec::new(), Vec::new());
    for h in handles {
        let (p, g, u) = h.await.unwrap();
        post.extend(p);
        get.extend(g);
        put.extend(u);
    }
    let elapsed = started.elapsed();
    let total = post.len() + get.len() + put.len();
    println!(
        "mixed load: {clients} clients x {ops} ops = {total} requests in {elapsed:.2?}: {:.0} req/s",
        total as f64 / elapsed.as_secs_f64()
    );
    summary("POST", post);
    summary("GET", get);
    summary("PUT", put);
}

/// Sequential GETs through avi-client and through a bare reqwest client with the same
/// headers and session: the difference is what the client adds per request.
async fn client_overhead(sim: &Avisim, n: usize) {
    let client = client(sim).await;
    let created: Value = client.create("pool", &json!({"name": "overhead"})).await.unwrap();
    let uuid = created["uuid"].as_str().unwrap().to_owned();

    let bare = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap()])
        .cookie_store(true)
        .build()
        .unwrap();
    let login = bare
        .post(format!("{}/login", sim.url()))
        .json(&json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let url = format!("{}/api/pool/{uuid}", sim.url());

    let mut ours = Vec::with_capacity(n);
    let mut theirs = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let _: Value = client.get("pool", &uuid).await.unwrap();
        ours.push(t.elapsed());
        let t = Instant::now();
        let resp = bare
            .get(&url)
            .header("X-Avi-Version", "30.2.1")
            .header("X-Avi-Tenant", "admin")
            .header("Referer", format!("{}/", sim.url()))
            .send()
            .await
            .unwrap();
        let _: Value = resp.json().await.unwrap();
        theirs.push(t.elapsed());
    }
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len() as u32;
    let (a, b) = (mean(&ours), mean(&theirs));
    println!("client overhead: {n} sequential GETs, interleaved");
    summary("avi", ours);
    summary("bare", theirs);
    println!(
        "  avi-client adds {:.1} µs per request on average",
        (a.as_secs_f64() - b.as_secs_f64()) * 1e6
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sim = Avisim::start(SimConfig::local(USER, PASSWORD)).await.expect("avisim");
        let clients = env_or("AVISIM_BENCH_CLIENTS", 32);
        let ops = env_or("AVISIM_BENCH_OPS", 300);
        mixed_load(&sim, clients, ops).await;
        client_overhead(&sim, env_or("AVISIM_BENCH_OVERHEAD_N", 2000)).await;
        println!("objects stored at the end: {}", sim.object_count());
        sim.shutdown().await;
    });
}
